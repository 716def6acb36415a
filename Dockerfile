# Production image: compiled JavaScript, production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY seeds ./seeds
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No embedded PostgreSQL or Meilisearch binaries in production: the compose services provide them.
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# migrate.ts resolves ../../migrations from dist/src/db.
COPY migrations ./dist/migrations
USER node
EXPOSE 3000
CMD ["node", "dist/src/server.js"]
