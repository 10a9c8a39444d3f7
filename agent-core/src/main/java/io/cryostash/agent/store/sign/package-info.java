/**
 * Trust: this host's Ed25519 key pair, the keys it accepts, and the signed manifest envelope
 * ({@link io.cryostash.agent.store.sign.ManifestCodec}).
 */
package io.cryostash.agent.store.sign;
