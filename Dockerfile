# SPDX-License-Identifier: Apache-2.0
# One image for every Cryostash service (catalog, agent, kafka): the `cryostash` command.
#   docker build -t cryostash:local .        (docker-compose.yml builds it too)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl cli -am package

FROM eclipse-temurin:17-jre
# setsid and sleep (coreutils, util-linux) start restore husks; procps and iproute2 help when debugging;
# nft (nftables) locks the network of TCP connections from a --kill capture until their restore
RUN apt-get update && apt-get install -y --no-install-recommends procps iproute2 util-linux nftables \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/cli/target/cli-0.1.0-SNAPSHOT.jar /opt/cryostash/cryostash.jar
COPY --from=build /src/cli/target/lib /opt/cryostash/lib
ENV CRYOSTASH_HOME=/var/lib/cryostash
VOLUME /var/lib/cryostash
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-cp", "/opt/cryostash/cryostash.jar:/opt/cryostash/lib/*", "io.cryostash.cli.Cryostash"]
CMD ["--help"]
