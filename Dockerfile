# syntax=docker/dockerfile:1
# One build, one image per role: `--target api`, `--target worker`, and
# `--target provisioner` (the container the kubernetes executor runs for each order).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY shared/package.json shared/
COPY worker/package.json worker/
COPY api/package.json api/
RUN npm ci --no-audit --no-fund
COPY shared shared
COPY worker worker
COPY api api
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/shared/package.json shared/
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/worker/package.json worker/
COPY --from=build /app/worker/dist worker/dist
COPY --from=build /app/api/package.json api/
COPY --from=build /app/api/dist api/dist

FROM runtime AS api
# The API needs no privilege at all.
USER node
EXPOSE 8080
CMD ["node", "api/dist/main.js"]

FROM runtime AS worker
# The local executor gives homes to their users with chown, so it runs as root.
# Homes and their archive live on one volume (a rename must not cross
# filesystems); these directories seed a fresh named volume mounted here.
RUN mkdir -p /srv/moneypenny/homes /srv/moneypenny/archive
ENV MONEYPENNY_HOME_ROOT=/srv/moneypenny/homes MONEYPENNY_ARCHIVE_ROOT=/srv/moneypenny/archive
CMD ["node", "worker/dist/main.js"]

FROM runtime AS provisioner
# Runs as root inside the order's Job, with every capability dropped but
# CHOWN, DAC_OVERRIDE and FOWNER and a read-only root filesystem (see the
# kubernetes executor's default orders). It reads the dossier and prints one
# JSON line; the order ("commission" or "retire") is its argument.
ENTRYPOINT ["node", "worker/dist/provisioner/cli.js"]
