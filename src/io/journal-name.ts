/**
 * The journal's name in the workspace root (see files.ts). Apart from the transaction code so that a run can
 * look for a journal left by an interrupted one without loading that code.
 */
export const JOURNAL_NAME = ".deb-lock-journal";
