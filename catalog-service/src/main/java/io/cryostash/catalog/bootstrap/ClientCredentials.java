// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.bootstrap;

/**
 * What the all-in-one stack writes to its client config.
 *
 * @param label          what they were made for (one set per label)
 * @param adminUsername  the administrator the user token acts as
 * @param adminPassword  that administrator's password when this catalog process generated it, else null
 * @param userToken      an API token ({@code csu_}) of that administrator, or null when the label's
 *                       tokens were made before ({@code created} false): only their hashes are kept
 * @param enrolmentToken an enrolment token ({@code cse_}), or null likewise
 * @param created        whether the tokens were made by this call
 */
public record ClientCredentials(String label, String adminUsername, String adminPassword, String userToken,
                                String enrolmentToken, boolean created) {

    @Override
    public String toString() {
        return "ClientCredentials[" + label + ", admin " + adminUsername + (created ? ", new tokens" : ", issued before") + "]";
    }
}
