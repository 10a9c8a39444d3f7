// SPDX-License-Identifier: Apache-2.0
/**
 * The Kafka events between the catalog and the agents: one record per event type, serialised as
 * JSON by {@link io.cryostash.schema.event.EventCodec}, each with a {@code version} field (a reader
 * refuses a major version it does not know) and keyed by the host the event is for or from
 * ({@link io.cryostash.schema.event.Topics}). Handlers are idempotent on the request or image id:
 * an event may arrive twice.
 *
 * <pre>
 * catalog  --snapshot.requested-->  agent of host H  --checkpoint.completed | checkpoint.failed-->  catalog
 * catalog  --restore.requested--->  agent of host H  --restore.status (RUNNING, COMPLETED, FAILED)-> catalog
 * </pre>
 */
package io.cryostash.schema.event;
