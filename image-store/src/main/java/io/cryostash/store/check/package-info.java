// SPDX-License-Identifier: Apache-2.0
/** Read-only verification of a store or one image ({@link io.cryostash.store.check.Checker}). */
package io.cryostash.store.check;
