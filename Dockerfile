# kws-serve images. Two variants, chosen with a build argument:
#   docker build -t kws-serve .                                  # CPU (default)
#   docker build --build-arg VARIANT=gpu -t kws-serve:gpu .      # NVIDIA GPU (CUDA 12.6, cuDNN 9)
#   docker run -p 4000:4000 -v kws-data:/var/lib/kws kws-serve              # serves on :4000
#   docker run --gpus all -p 4000:4000 -v kws-data:/var/lib/kws kws-serve:gpu
# The same image runs `kws worker` (jobs from Redis; see docker-compose.yml and README "Scaling out").
# The build stage installs every dependency (compiling better-sqlite3) and compiles TypeScript; the
# runtime stage keeps production dependencies only and runs as an unprivileged user.
ARG VARIANT=cpu

FROM node:20-bookworm-slim AS build
ARG VARIANT
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY batch ./batch
COPY scripts/build-web.mjs ./scripts/build-web.mjs
# CPU: onnxruntime-node's bundled CPU build (its install step downloads nothing). GPU: its install
# step fetches the CUDA 12 execution provider. The optional native TF.js packages (tfjs-node, or
# tfjs-node-gpu) download libtensorflow at install; where they cannot, npm skips them and kws falls
# back to the WebAssembly backend. `npm ci` runs `prepare`, which compiles src/ into dist/.
RUN if [ "$VARIANT" = gpu ]; then export ONNXRUNTIME_NODE_INSTALL=cuda12; else export ONNXRUNTIME_NODE_INSTALL=skip; fi \
 && npm ci --no-audit --no-fund \
 && if [ "$VARIANT" != gpu ]; then rm -rf node_modules/@tensorflow/tfjs-node-gpu; fi \
 && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime-cpu

# CUDA runtime and cuDNN for onnxruntime's CUDA provider and tfjs-node-gpu, with Node copied in.
# Ubuntu 24.04 (glibc 2.39) runs the better-sqlite3 binary compiled on bookworm (glibc 2.36).
# tfjs-node-gpu 4.x wants CUDA 11; here it fails to load and TF.js falls back (onnxruntime is the GPU path).
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 AS runtime-gpu
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
RUN userdel --remove ubuntu 2>/dev/null; groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home node

FROM runtime-${VARIANT} AS runtime
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
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:4000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/main.js"]
# The server on all interfaces: it refuses to start until the volume holds an API key, made with
#   docker run --rm -v kws-data:/var/lib/kws kws-serve keys create --name ops --scope admin
# (requests then send Authorization: Bearer <key>). Any other kws command works too, e.g.
#   docker run --rm -v "$PWD/clips:/clips:ro" kws-serve classify --json /clips/yes.wav
#   docker run --rm -v kws-data:/var/lib/kws kws-serve worker --redis redis://redis-host:6379
CMD ["serve", "--host", "0.0.0.0", "--port", "4000"]
