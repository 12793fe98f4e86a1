# One image for every service and the CLI: docker-compose.yml and deploy/ pick the command.
# Production dependencies only; only the product's own folders are copied (an allow-list, so no
# test, benchmark, local stack, .env or token file can reach the image); runs as the unprivileged
# `node` user; probes and metrics listen on all interfaces so Kubernetes and Prometheus reach them.
FROM node:24-slim
WORKDIR /app
# glibc's allocator: 2 arenas instead of 8 per core, and Buffers of 128 KiB and more always mapped
# on their own, so memory freed after a batch goes back to the system (bench/README.md#end-to-end-memory).
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning \
    GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072 \
    NODE_COMPILE_CACHE=/app/.compile-cache \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464 \
    SEARCH_HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# cli.ts registers every command, so everything it imports comes along (the simulator serves `demo`).
COPY cli.ts ./
COPY lib lib
COPY schemas schemas
COPY producer producer
COPY transformer transformer
COPY indexer indexer
COPY ops ops
COPY search search
COPY sources sources
COPY sim sim
COPY scripts scripts
# Every .ts file stripped of its types and compiled now, once for each set of node flags the services
# run with (the entrypoint's; the stages' in docker-compose.yml and deploy/): a service then never loads
# the type stripper, whose ~18 MB would stay for its whole life (bench/README.md#end-to-end-memory).
# Read-only at run time.
RUN node --max-semi-space-size=2 --heap-growing-percent=50 scripts/compile-cache.ts \
 && node --max-semi-space-size=8 --heap-growing-percent=50 scripts/compile-cache.ts \
 && node --max-semi-space-size=8 --heap-growing-percent=100 scripts/compile-cache.ts
USER node
EXPOSE 9464 8080
# Liveness of the long-running services (/livez on METRICS_PORT); deploy/ uses /livez and /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTHCHECK_PORT ?? process.env.METRICS_PORT}/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8's young generation capped and its heap grown in smaller steps, as the npm scripts start the
# services: collections come before garbage piles up (bench/README.md#end-to-end-memory).
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=50", "cli.ts"]
