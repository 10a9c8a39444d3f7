// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

/** UPLOADING while chunks are still being written, COMPLETE when restorable, EXPIRED by retention, DELETED by a person. */
public enum ImageState {
    UPLOADING, COMPLETE, EXPIRED, DELETED
}
