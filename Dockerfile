# syntax=docker/dockerfile:1
# Tollgate in a container: `docker build -t tollgate .`, then
#   docker run -p 8080:8080 -v /etc/tollgate/gateway.yaml:/etc/tollgate/gateway.yaml:ro tollgate
# The image's own /etc/tollgate/gateway.yaml (config/container.yaml) answers /status only.
# glibc (Debian) images: the bundled uWebSockets.js binaries do not load on musl (Alpine).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No scripts: `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/tollgate
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json LICENSE README.md ./
COPY config/container.yaml /etc/tollgate/gateway.yaml
# dataDir of config/container.yaml; the image's `node` user (uid 1000) owns it.
RUN install -d -o node -g node /var/lib/tollgate
USER node
EXPOSE 8080
# The admin API stays on the container's loopback; the probe runs inside the container.
# /ready answers 200 only while every worker serves the current config.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9901/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests (shutdownTimeout); give `docker stop -t` more than that.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli.js", "start", "-c", "/etc/tollgate/gateway.yaml"]
