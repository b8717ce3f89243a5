// CredHop's version (the app's and the command line's: one package, one number), from package.json at build time.
import { version } from '../../package.json';

export const CREDHOP_VERSION: string = version;
