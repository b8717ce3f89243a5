// `CredHop.exe --cli <command> …`: the packaged app runs the command line with no window. This finds
// the command line's arguments in the process's argv. Pure, and free of Electron.

export const CLI_SWITCH = '--cli';

/**
 * The arguments after `--cli` when the app was started as the command line, else null. Packaged, argv
 * is [CredHop.exe, ...user args]; unpackaged (`electron .` or `electron out/main/index.js`), argv[1] is
 * the app's path and the user's arguments start at argv[2]. `--cli` must be the first user argument, so
 * a value that happens to be "--cli" elsewhere never switches the app into command-line mode.
 */
export function cliArgsOf(argv: readonly string[], packaged: boolean): string[] | null {
  const user = argv.slice(packaged ? 1 : 2);
  return user[0] === CLI_SWITCH ? user.slice(1) : null;
}
