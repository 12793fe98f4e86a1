# One image for the three services (and the CLI); docker-compose.yml picks the command.
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .
USER node
ENV NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
ENTRYPOINT ["node", "cli.ts"]
