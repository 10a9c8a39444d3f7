// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/** Where an image was taken: what a restoring host must be compatible with. */
public record HostInfo(String hostname, String kernel, String arch, String vdsoSha256, long xstateSize) {
}
