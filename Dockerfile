# healthmon's container image. Three stages: `build` compiles the TypeScript with every
# dependency, `deps` installs the production dependencies alone (better-sqlite3 is native, so it
# builds where compilers are), and the runtime stage copies both into a slim image that runs as
# an unprivileged user.
#
#   docker build -t healthmon .
#   docker run -p 127.0.0.1:9469:9469 -v healthmon-data:/var/lib/healthmon healthmon
#
# Layout: the code in /app; the config in /etc/healthmon/healthmon.yaml (the bundled example
# until you mount your own) with its rules in /etc/healthmon/rules; the data (alert state,
# outbox, history) in /var/lib/healthmon, a volume.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY healthmon.yaml /etc/healthmon/healthmon.yaml
COPY rules /etc/healthmon/rules
# ping for icmp checks (Debian's iputils-ping, with its cap_net_raw file capability).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iputils-ping \
 && rm -rf /var/lib/apt/lists/*
# A system user with no login and no home of its own. The bundled config keeps its data in
# `data` next to itself: that name points into the volume, so it works unchanged.
RUN groupadd --system healthmon \
 && useradd --system --gid healthmon --home-dir /var/lib/healthmon --no-create-home --shell /usr/sbin/nologin healthmon \
 && mkdir -p /var/lib/healthmon \
 && chown healthmon:healthmon /var/lib/healthmon \
 && chmod 0750 /var/lib/healthmon \
 && ln -s /var/lib/healthmon /etc/healthmon/data
USER healthmon
VOLUME ["/var/lib/healthmon"]
EXPOSE 9469
# Node's own fetch: the slim image has neither curl nor wget. Expects the default port 9469.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9469/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["--config", "/etc/healthmon/healthmon.yaml"]
