/** Read-only verification of a store or one image ({@link io.cryostash.agent.store.check.Checker}). */
package io.cryostash.agent.store.check;
