import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import * as openpgp from "openpgp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerificationError } from "../../src/core/errors.js";
import { verifyInRelease } from "../../src/core/trust/inrelease.js";
import { parseKeyring } from "../../src/core/trust/keyring.js";
import { type ArchiveServer, type ArchiveServerSpec, startArchiveServer } from "./archive-server.js";
import { getTestKey } from "./test-key.js";

// A real stanza from Debian bookworm main amd64, served verbatim.
const BASH = `Package: bash
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13
Essential: yes
Installed-Size: 7164
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Replaces: bash-completion (<< 20060301-0), bash-doc (<= 2.05-1)
Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1)
Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)
Recommends: bash-completion (>= 20060301-0)
Suggests: bash-doc
Conflicts: bash-completion (<< 20060301-0)
Description: GNU Bourne Again SHell
Multi-Arch: foreign
Homepage: http://tiswww.case.edu/php/chet/bash/bashtop.html
Description-md5: 3522aa7b4374048d6450e348a5bb45d9
Tag: admin::TODO, devel::TODO, devel::interpreter, implemented-in::c,
 interface::shell, interface::text-mode, role::program,
 scope::application, suite::gnu, uitoolkit::ncurses
Section: shells
Priority: required
Filename: pool/main/b/bash/bash_5.2.15-2+b13_amd64.deb
Size: 1490652
MD5sum: f973a067908f9c7579d30deddd8301ed
SHA256: 82130bb6a560cd2a7234d8018baf73f188f5dd56413d5aa0accc987b2197a6a1
`;

const TS = "20240706T203757Z";
const SPEC: ArchiveServerSpec = {
  archives: {
    debian: {
      [TS]: {
        bookworm: {
          suite: "stable",
          components: {
            main: {
              amd64: [BASH, { Package: "libc6", Version: "2.36-9+deb12u7", "Multi-Arch": "same", Description: "GNU C Library\nShared libraries." }],
            },
          },
        },
      },
    },
    "debian-security": {
      [TS]: {
        "bookworm-security": { compressions: ["plain", "xz"], notAutomatic: true, butAutomaticUpgrades: true, components: { main: { arm64: [] } } },
      },
    },
  },
};

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function get(server: ArchiveServer, path: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(server.url + path);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe("startArchiveServer", () => {
  let server: ArchiveServer;
  let keys: openpgp.PublicKey[];
  const root = `/archive/debian/${TS}`;
  const dists = `${root}/dists/bookworm`;

  beforeAll(async () => {
    server = await startArchiveServer(SPEC);
    keys = await openpgp.readKeys({ armoredKeys: server.publicKeyArmored });
  });
  afterAll(() => server.close());

  it("serves a signed InRelease whose SHA256 section matches every served index and by-hash copy", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.archiveUrl("debian", TS)).toBe(server.url + root);
    const inRelease = await get(server, `${dists}/InRelease`);
    expect(inRelease.status).toBe(200);
    const { text } = await verifyInRelease(inRelease.body, keys, `${dists}/InRelease`);
    expect(text).toMatch(/^Suite: stable$/m);
    expect(text).toMatch(/^Codename: bookworm$/m);
    expect(text).toMatch(/^Date: Sat, 06 Jul 2024 20:37:57 UTC$/m);
    expect(text).toMatch(/^Acquire-By-Hash: yes$/m);
    expect(text).toMatch(/^Architectures: amd64$/m);
    const section = text.split("SHA256:\n")[1]!.trimEnd().split("\n");
    expect(section.map((l) => l.trim().split(/\s+/)[2])).toEqual([
      "main/binary-amd64/Packages",
      "main/binary-amd64/Packages.gz",
      "main/binary-amd64/Packages.xz",
    ]);
    for (const line of section) {
      const [hash, size, path] = line.trim().split(/\s+/) as [string, string, string];
      const file = await get(server, `${dists}/${path}`);
      expect(file.body.length).toBe(Number(size));
      expect(sha256(file.body)).toBe(hash);
      const byHash = await get(server, `${dists}/main/binary-amd64/by-hash/SHA256/${hash}`);
      expect(byHash.status).toBe(200);
      expect(sha256(byHash.body)).toBe(hash);
    }
    // Release + Release.gpg carry the same text and a detached signature over it
    const release = await get(server, `${dists}/Release`);
    expect(release.body.toString()).toBe(text);
    const detached = await get(server, `${dists}/Release.gpg`);
    const verified = await openpgp.verify({
      message: await openpgp.createMessage({ binary: release.body }),
      signature: await openpgp.readSignature({ armoredSignature: detached.body.toString() }),
      verificationKeys: keys,
    });
    await expect(verified.signatures[0]!.verified).resolves.toBe(true);
  });

  it("serves identical Packages content plain, gzip and xz; raw stanzas verbatim, object stanzas completed with a served .deb", async () => {
    const plain = (await get(server, `${dists}/main/binary-amd64/Packages`)).body;
    expect(gunzipSync((await get(server, `${dists}/main/binary-amd64/Packages.gz`)).body)).toEqual(plain);
    const xz = spawnSync("xz", ["-dc"], { input: (await get(server, `${dists}/main/binary-amd64/Packages.xz`)).body });
    expect(xz.stdout).toEqual(plain);
    const stanzas = plain.toString().split("\n\n");
    expect(stanzas[0]).toBe(BASH.trimEnd());
    const libc = stanzas[1]!;
    expect(libc).toMatch(/^Package: libc6\nVersion: 2\.36-9\+deb12u7\nArchitecture: amd64\n/);
    expect(libc).toContain("Description: GNU C Library\n Shared libraries.");
    const filename = /^Filename: (.*)$/m.exec(libc)![1]!;
    expect(filename).toBe("pool/main/libc/libc6/libc6_2.36-9+deb12u7_amd64.deb");
    const deb = await get(server, `${root}/${filename}`);
    expect(deb.status).toBe(200);
    expect(sha256(deb.body)).toBe(/^SHA256: (.*)$/m.exec(libc)![1]);
    expect(String(deb.body.length)).toBe(/^Size: (.*)$/m.exec(libc)![1]);
  });

  it("lists only the configured compressions, and NotAutomatic/ButAutomaticUpgrades", async () => {
    const path = `/archive/debian-security/${TS}/dists/bookworm-security`;
    const { text } = await verifyInRelease((await get(server, `${path}/InRelease`)).body, keys, path);
    expect(text).toMatch(/^NotAutomatic: yes\nButAutomaticUpgrades: yes$/m);
    expect(text).toContain("main/binary-arm64/Packages.xz");
    expect(text).not.toContain("Packages.gz");
    expect((await get(server, `${path}/main/binary-arm64/Packages.gz`)).status).toBe(404);
    expect((await get(server, `${path}/main/binary-arm64/Packages`)).body.length).toBe(0);
  });

  it("logs every request and answers 404 for unknown paths", async () => {
    server.requests.length = 0;
    expect((await get(server, `${root}/dists/sid/InRelease`)).status).toBe(404);
    await fetch(`${server.url}${dists}/Release`, { method: "HEAD" });
    expect(server.requests).toEqual([
      { method: "GET", path: `${root}/dists/sid/InRelease`, status: 404 },
      { method: "HEAD", path: `${dists}/Release`, status: 200 },
    ]);
  });

  it("injects status sequences with Retry-After, then serves normally", async () => {
    server.faults = [{ path: "/Packages.xz", status: [503, 429, 200], retryAfter: 2 }];
    const statuses: (number | string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await get(server, `${dists}/main/binary-amd64/Packages.xz`);
      statuses.push(r.status, r.headers.get("retry-after"));
    }
    expect(statuses).toEqual([503, "2", 429, "2", 200, null, 200, null]);
    server.faults = [];
  });

  it("injects 404, wrong content, truncation and delay", async () => {
    const path = `${dists}/main/binary-amd64/Packages.gz`;
    const good = server.file(path)!;
    server.faults = [
      { path: /by-hash/, notFound: true },
      { path: "Packages.gz", wrongContent: true, times: 1 },
    ];
    expect((await get(server, `${dists}/main/binary-amd64/by-hash/SHA256/${sha256(good)}`)).status).toBe(404);
    const wrong = await get(server, path);
    expect(wrong.body.length).toBe(good.length);
    expect(sha256(wrong.body)).not.toBe(sha256(good));
    expect(sha256((await get(server, path)).body)).toBe(sha256(good)); // times: 1

    server.faults = [{ path: "Packages.gz", truncateAt: 10 }];
    await expect(get(server, path)).rejects.toThrow();

    server.faults = [{ path: "/Release", delayMs: 300 }];
    const started = performance.now();
    expect((await get(server, `${dists}/Release`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    server.faults = [];
  });

  it("serves tampered, unsigned and unknown-signer InRelease files on request", async () => {
    const url = `${dists}/InRelease`;
    const code = async () => {
      const error = await verifyInRelease((await get(server, url)).body, keys, url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VerificationError);
      return (error as VerificationError).code;
    };
    server.faults = [{ path: url, tamper: true }];
    expect(await code()).toBe("BAD_SIGNATURE");
    server.faults = [{ path: url, unknownSigner: true }];
    expect(await code()).toBe("UNKNOWN_SIGNER");
    server.faults = [{ path: url, unsigned: true }];
    expect(await code()).toBe("NOT_SIGNED");
    server.faults = [];
    await expect(verifyInRelease((await get(server, url)).body, keys, url)).resolves.toBeTruthy();
  });

  it("mounts extra routes and swaps the archive content", async () => {
    const extra = await startArchiveServer(SPEC, {
      extraRoutes: (path) => (path === "/archive/debian/" ? { body: "<html>listing</html>", headers: { "content-type": "text/html" } } : undefined),
      signingKeys: [await getTestKey("archive"), await getTestKey("second")],
    });
    try {
      expect((await get(extra, "/archive/debian/")).body.toString()).toBe("<html>listing</html>");
      // publicKeyArmored holds one armored block per key, as a --keyring file may
      const both = await parseKeyring(Buffer.from(extra.publicKeyArmored), "keyring");
      expect(both).toHaveLength(2);
      const inRelease = (await get(extra, `${dists}/InRelease`)).body;
      const { signers } = await verifyInRelease(inRelease, both, dists);
      expect(signers).toEqual([(await getTestKey("archive")).fingerprint, (await getTestKey("second")).fingerprint]);
      await extra.setSpec({ archives: { debian: { "20250101T000000Z": { trixie: { components: { main: { amd64: [] } } } } } } });
      expect((await get(extra, `${dists}/InRelease`)).status).toBe(404);
      expect((await get(extra, "/archive/debian/20250101T000000Z/dists/trixie/InRelease")).status).toBe(200);
    } finally {
      await extra.close();
    }
  });
});
