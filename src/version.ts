/**
 * The library's version, kept equal to `deno.json`'s by a test.
 *
 * @module
 */

/** This library's version. */
export const VERSION = "0.1.0";

/** The tf.js version the library is built and tested with. */
export const TFJS_VERSION = "4.22.0";
