# CPU image of kws-serve. Build: docker build -t kws-serve .
# Stage 1 installs every dependency (compiling better-sqlite3) and TypeScript; stage 2 keeps the
# production dependencies only and runs as the unprivileged `node` user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs the `prepare` script, which compiles src/ into dist/. The optional native TF.js
# packages download libtensorflow at install; where they cannot, npm skips them and kws falls back
# to the WebAssembly backend.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production KWS_DATA_DIR=/var/lib/kws
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node schema ./schema
COPY --chown=node:node models ./models
RUN mkdir -p /var/lib/kws && chown node:node /var/lib/kws
USER node
VOLUME /var/lib/kws
ENTRYPOINT ["node", "/app/dist/main.js"]
# The server (`kws serve`) arrives with issue 5; until then the image runs the CLI, e.g.
#   docker run --rm -v "$PWD/clips:/clips:ro" kws-serve classify --json /clips/yes.wav
CMD ["--help"]
