/**
 * The gocpu modes every comparison runs in, passed to the wrapper as GOCPU_MODE.
 * Issue 10 adds `copy` (and `auto`, which picks one per host): when it lands, adding
 * it here runs every suite in it too. Never list a mode the wrapper does not have: the
 * variable would be ignored and a mount run would pass as that mode's proof.
 */
export const MODES = ['mount', 'copy'] as const;

export type Mode = (typeof MODES)[number];
