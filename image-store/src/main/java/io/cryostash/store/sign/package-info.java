// SPDX-License-Identifier: Apache-2.0
/**
 * Trust: this host's Ed25519 key pair, the keys it accepts, and the signed manifest envelope
 * ({@link io.cryostash.store.sign.ManifestCodec}).
 */
package io.cryostash.store.sign;
