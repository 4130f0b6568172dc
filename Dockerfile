# syntax=docker/dockerfile:1

# Build: compile TypeScript to dist/ with the full (development) dependency set.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies, the compiled code and the SQL migrations only.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The server resolves ../../migrations and ../../package.json from dist/db and dist/http,
# so dist/, migrations/ and package.json sit side by side in /app.
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# Without DATABASE_URL the embedded database keeps its files here: the only path the service writes.
RUN mkdir -p /app/data && chown node:node /app/data
ENV DATA_DIR=/app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Not `npm start`: it compiles first, and the image ships compiled code without the compiler's inputs.
CMD ["node", "dist/server.js"]
