// SPDX-License-Identifier: Apache-2.0
/**
 * Object storage for the store: {@link io.cryostash.store.backend.Backend} and its directory
 * and S3 implementations, plus retries. Nothing here knows what the objects mean.
 */
package io.cryostash.store.backend;
