/** Unwinds a statement whose failure was already reported (or follows from one that was). */
export class SilentAbort extends Error {}
