# CPU image of kws-serve. Build: docker build -t kws-serve .
# Stage 1 installs every dependency and compiles TypeScript; stage 2 keeps production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node schema ./schema
COPY --chown=node:node models ./models
USER node
ENTRYPOINT ["node", "/app/dist/main.js"]
# The server (`kws serve`) arrives with issue 5; until then the image runs the CLI, e.g.
#   docker run --rm -v "$PWD/clips:/clips:ro" kws-serve info --json /clips/yes.wav
CMD ["--help"]
