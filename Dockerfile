# Orders & Inventory service. Multi-stage: the runtime image holds the compiled service and its
# production dependencies only, runs as the unprivileged `node` user, and checks its own health.
# Node 24 (Node 20 reached end of life in April 2026): CI replays these steps on Node 24 with
# `npm run docker:dry-run -- --node 24`, which fails unless every FROM below says the same major.
#
#   docker build -t orders-inventory .
#   docker run -p 8000:8000 -e WEBHOOK_SECRET=... -v orders-data:/app/data orders-inventory

FROM node:24-bookworm-slim AS base
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary is reachable.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*

# Production dependencies, exactly as locked.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The compiled service and admin console (TypeScript and Vite need the dev dependencies).
FROM base AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The admin console's sources: npm run build compiles them into dist/admin with the service.
COPY admin ./admin
RUN npm run build

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 DATABASE_URL=sqlite:/app/data/store.db
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p data && chown node:node data
USER node
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/server.js"]
