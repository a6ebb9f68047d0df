# syntax=docker/dockerfile:1
# Production runs on Node 24 LTS; the code also supports Node 20.11+ (package.json "engines"),
# and CI runs the whole suite on both (.ci/run).
# Build: compile TypeScript with the full dependency set.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY modules ./modules
COPY migrations ./migrations
COPY extracted ./extracted
COPY scripts ./scripts
RUN npm run build

# Runtime dependencies only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# The module map's synchronous calls (GET /admin/modules), worked out from the sources at build time.
COPY --chown=node:node docs/modules/module-map.json ./docs/modules/module-map.json
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.SERVICE_PORT||process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# MODULES selects what the monolith hosts; an extracted service runs dist/extracted/<name>-service/main.js.
# --import loads tracing before the app (it stays off unless OTEL_EXPORTER_OTLP_ENDPOINT is set).
CMD ["node", "--import", "./dist/src/observability/instrument.js", "dist/scripts/start.js"]
