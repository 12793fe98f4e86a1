// The search endpoint's OpenAPI 3.1 document, served at /openapi.json: what the AI's tool definition
// is generated from. The limits come from the code that enforces them, so the two cannot drift.
import { defaultSize, maxQueryChars, maxSize } from './query.ts';

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'what went wrong' },
    hint: { type: 'string', description: 'what to do about it' },
  },
};
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

export const searchOpenApi = {
  openapi: '3.1.0',
  info: {
    title: 'Confluence knowledge search',
    version: '1',
    description:
      'Searches one connected Confluence site (a source) for the support AI. Every key is bound to an audience and to sources: a customer key only ever gets public pages, whatever it asks.',
  },
  security: [{ apiKey: [] }],
  paths: {
    '/search': {
      get: {
        operationId: 'searchKnowledge',
        summary: "Search a source's pages",
        parameters: [
          {
            name: 'q',
            in: 'query',
            required: true,
            description: 'the search text',
            schema: { type: 'string', minLength: 1, maxLength: maxQueryChars },
          },
          {
            name: 'source',
            in: 'query',
            required: true,
            description: 'the source id, e.g. acme-atlassian-net (one of the sources of the key)',
            schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          },
          {
            name: 'audience',
            in: 'query',
            required: true,
            description:
              'whom the answer is for. customer: public pages only; agent: internal and public pages (needs an agent key; a customer key asking for it gets 403)',
            schema: { type: 'string', enum: ['customer', 'agent'] },
          },
          {
            name: 'size',
            in: 'query',
            required: false,
            description: 'how many results',
            schema: { type: 'integer', minimum: 1, maximum: maxSize, default: defaultSize },
          },
        ],
        responses: {
          '200': {
            description: 'results in score order',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/SearchResponse' } } },
          },
          '400': errorResponse('a parameter is missing or not valid'),
          '401': errorResponse('no API key, or an unknown one'),
          '403': errorResponse('the key may not search this source, or not for this audience'),
          '404': errorResponse('the source has no live index yet'),
          '413': errorResponse('a request body was sent'),
          '414': errorResponse('the request line is too long'),
          '429': errorResponse('the key is over its rate limit (see Retry-After)'),
          '503': errorResponse('Elasticsearch is unavailable'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
    },
    schemas: {
      Error: error,
      SearchResponse: {
        type: 'object',
        required: ['source', 'alias', 'audience', 'q', 'results'],
        properties: {
          source: { type: 'string' },
          alias: { type: 'string' },
          audience: { type: 'string', enum: ['customer', 'agent'] },
          q: { type: 'string' },
          results: { type: 'array', items: { $ref: '#/components/schemas/SearchResult' } },
        },
      },
      SearchResult: {
        type: 'object',
        required: ['pageId', 'title', 'url', 'visibility', 'score', 'snippet'],
        properties: {
          pageId: { type: 'string' },
          title: { type: 'string' },
          url: { type: 'string', description: 'the page in Confluence, to cite' },
          visibility: { type: 'string', enum: ['public', 'internal'] },
          score: { type: 'number' },
          snippet: { type: 'string', description: 'plain text, at most ~240 characters' },
        },
      },
    },
  },
} as const;
