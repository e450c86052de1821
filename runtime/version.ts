/** The version of dnnc this runtime belongs to (written into checkpoints); a test keeps it equal to package.json's. */
export const DNNC_VERSION = '0.1.0';
