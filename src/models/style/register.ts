/**
 * Registers the library's own tf.js layer classes (`ProGANGenerator`, `ProGANDiscriminator`,
 * `StyleGANGenerator`) with tf.js's serialisation, so that `tf.loadLayersModel` can read model
 * files that hold them. Importing this module (or the modules it imports) is enough; the model
 * loader (src/io/model_files.ts) and the web page's core (src/browser.ts) do.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "./register.ts";
 *
 * console.log(tf.serialization.SerializationMap.getMap().classNameMap["StyleGANGenerator"] !== undefined); // true
 * ```
 *
 * @module
 */

import "./progan.ts";
import "./stylegan.ts";
