// SPDX-License-Identifier: Apache-2.0
/**
 * Contracts between the agents and the catalog service's REST API: what an agent sends to
 * register an image, to ask which chunks the store already has, to report its host, and what
 * the catalog publishes when someone asks for a restore. Plain records, (de)serialised as JSON
 * with their component names as field names; {@code problems()} methods validate without any
 * framework so that agents can check before they send.
 */
package io.cryostash.schema.catalog;
