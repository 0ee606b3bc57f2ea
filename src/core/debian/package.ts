/**
 * One binary package stanza of a Packages index, reduced to the fields deb-lock needs.
 * Relation fields stay raw text: the resolver parses only the ones it visits.
 */
export interface PackageRecord {
  /** `Package` */
  readonly name: string;
  /** `Version`, raw text */
  readonly version: string;
  /** `Architecture`: a concrete arch or "all" */
  readonly architecture: string;
  readonly multiArch?: "same" | "foreign" | "allowed" | "no";
  /** `Essential: yes` */
  readonly essential?: boolean;
  readonly priority?: string;
  /** `Source`, raw (`name` or `name (version)`); absent when equal to the binary name and version */
  readonly source?: string;
  readonly section?: string;
  readonly depends?: string;
  readonly preDepends?: string;
  readonly provides?: string;
  readonly conflicts?: string;
  readonly breaks?: string;
  /**
   * `Recommends`, `Suggests`, `Replaces` and `Enhances`, raw, joined by ", " in that order. deb-lock does not
   * follow them; it reads the names they mention to know the order in which apt registers package names while
   * reading an index, which is apt's last tie-break between providers.
   */
  readonly otherRelations?: string;
  /** `Filename`, relative to the archive root, e.g. pool/main/b/bash/bash_5.2.15-2+b7_amd64.deb */
  readonly filename: string;
  /** `Size` of the .deb in bytes */
  readonly size: number;
  /** `SHA256` of the .deb, lowercase hex */
  readonly sha256: string;
  /** `Installed-Size` in KiB */
  readonly installedSize?: number;
}
