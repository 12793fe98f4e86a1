// Infrastructure failures are classified from the libraries' own error classes, and explained once,
// at the CLI edge: message, hint and exit code by what the error is.
import { errors as es } from '@elastic/elasticsearch';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { explain } from '../../lib/cli.ts';
import { servicesConfig } from '../../lib/config.ts';
import { elasticsearchError } from '../../lib/elasticsearch.ts';
import {
  BrokerUnreachableError,
  ElasticsearchRefusedError,
  ElasticsearchUnreachableError,
  ExitCode,
  InfraCode,
  isRetriable,
  KafkaLoginRejectedError,
  KafkaNotAuthorizedError,
  SchemaIncompatibleError,
  UserError,
} from '../../lib/errors.ts';
import { kafkaError } from '../../lib/kafka.ts';

const cfg = servicesConfig({ KAFKA_BROKERS: 'k1:9092,k2:9092', ELASTICSEARCH_URL: 'http://es:9200' });
const {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSAggregateError,
} = kafkajs;
// kafkajs's declarations give it no constructor arguments; at runtime it takes the message.
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (
  message: string,
) => Error;
// As kafkajs builds them from a broker's error code (src/protocol/error.js).
const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message: `broker says ${type}` } as never);

describe('kafkaError', () => {
  it('no broker answering is BrokerUnreachableError, retriable, also when wrapped in exhausted retries', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.0.1:9092');
    const wrapped = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 8, retryTime: 1000 });
    for (const err of [refused, wrapped]) {
      const e = kafkaError(cfg, err);
      expect(e).toBeInstanceOf(BrokerUnreachableError);
      expect(e).toMatchObject({ code: 'CKS_KAFKA_UNREACHABLE', retriable: true, where: 'k1:9092,k2:9092' });
      expect(e!.message).toContain('Kafka is not reachable at k1:9092,k2:9092 (PLAINTEXT)');
    }
  });

  it('a rejected SASL login is not an outage', () => {
    const e = kafkaError(cfg, new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed'));
    expect(e).toBeInstanceOf(KafkaLoginRejectedError);
    expect(e).toMatchObject({ code: InfraCode.kafkaLoginRejected, retriable: false });
  });

  it('ACL refusals name the resource, and the topic when kafkajs says which', () => {
    const topic = kafkaError(cfg, protocolError('TOPIC_AUTHORIZATION_FAILED', 29));
    expect(topic).toBeInstanceOf(KafkaNotAuthorizedError);
    expect(topic).toMatchObject({ code: 'CKS_KAFKA_NOT_AUTHORIZED', resource: 'topic', retriable: false });
    const group = kafkaError(cfg, protocolError('GROUP_AUTHORIZATION_FAILED', 30));
    expect(group).toMatchObject({ resource: 'group' });
    // createTopics reports per topic in an aggregate.
    const { KafkaJSCreateTopicError } = kafkajs as unknown as {
      KafkaJSCreateTopicError: new (e: unknown, topic: string) => Error;
    };
    const created = new KafkaJSAggregateError('Topic creation errors', [
      new KafkaJSCreateTopicError(
        { type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, message: 'no' },
        'confluence.pages.raw',
      ),
    ] as never);
    expect(kafkaError(cfg, created)).toMatchObject({ resource: 'topic', names: ['confluence.pages.raw'] });
  });

  it('anything else from kafkajs is not called unreachable', () => {
    for (const err of [
      new KafkaJSNonRetriableError('Message too large'),
      new KafkaJSError('The producer is disconnected'),
      protocolError('INVALID_REPLICATION_FACTOR', 38),
      new Error('ECONNREFUSED, but not from kafkajs'),
    ])
      expect(kafkaError(cfg, err)).toBeUndefined();
  });
});

describe('elasticsearchError', () => {
  const response = (statusCode: number, type?: string) =>
    new es.ResponseError({
      body: type ? { error: { type, reason: 'r' } } : undefined,
      statusCode,
      headers: {},
      warnings: null,
      meta: {} as never,
    });

  it('no answer is ElasticsearchUnreachableError, retriable', () => {
    for (const err of [new es.ConnectionError('connect ECONNREFUSED'), new es.TimeoutError('timeout')]) {
      const e = elasticsearchError(cfg, err);
      expect(e).toBeInstanceOf(ElasticsearchUnreachableError);
      expect(e).toMatchObject({ code: 'CKS_ES_UNREACHABLE', retriable: true, where: 'http://es:9200' });
    }
  });

  it('an error status is a refusal: 429 and 5xx retriable, the rest not', () => {
    expect(elasticsearchError(cfg, response(429))).toMatchObject({ code: 'CKS_ES_REFUSED', retriable: true });
    expect(elasticsearchError(cfg, response(503))).toMatchObject({ retriable: true });
    const denied = elasticsearchError(cfg, response(403, 'security_exception'));
    expect(denied).toBeInstanceOf(ElasticsearchRefusedError);
    expect(denied).toMatchObject({ status: 403, type: 'security_exception', retriable: false });
    expect(elasticsearchError(cfg, response(400, 'mapper_parsing_exception'))).toMatchObject({
      retriable: false,
    });
  });

  it('other errors are not its', () => {
    expect(elasticsearchError(cfg, new Error('boom'))).toBeUndefined();
    expect(isRetriable(new Error('boom'))).toBe(false);
  });
});

describe('explain (the CLI edge)', () => {
  it('gives each kind its exit code and a hint naming what to set', async () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    const kafka = await explain(new BrokerUnreachableError('k1:9092', 'PLAINTEXT', refused));
    expect(kafka).toMatchObject({ exitCode: ExitCode.network });
    expect(kafka.hint).toContain('KAFKA_BROKERS');
    const acl = await explain(new KafkaNotAuthorizedError('k1:9092', 'topic', ['t'], new Error('x')));
    expect(acl.exitCode).toBe(ExitCode.auth);
    expect(acl.hint).toContain('TOPIC_RAW_PAGES');
    const schema = await explain(new SchemaIncompatibleError('http://r', 'pages-value', new Error('409')));
    expect(schema.hint).toContain('pages-value');
    const down = await explain(new ElasticsearchUnreachableError('http://es:9200', new Error('x')));
    expect(down).toMatchObject({ exitCode: ExitCode.network });
    expect(down.message).toBe('Elasticsearch is not reachable at http://es:9200: x');
    const login = await explain(new ElasticsearchRefusedError('http://es', 401, undefined, 'api-key', 'x'));
    expect(login).toMatchObject({ exitCode: ExitCode.auth });
    expect(login.hint).toContain('ELASTICSEARCH_API_KEY_FILE');
  });

  it('classifies a library error nobody classified, with this process’s configuration', async () => {
    const e = await explain(new es.ConnectionError('connect ECONNREFUSED 127.0.0.1:19200'));
    expect(e.exitCode).toBe(ExitCode.network);
    expect(e.message).toMatch(/^Elasticsearch is not reachable at /);
  });

  it('keeps a UserError as it is, and an unknown error is a failure with its stack', async () => {
    expect(await explain(new UserError('No run r1 recorded', { hint: 'List runs' }))).toEqual({
      message: 'No run r1 recorded',
      hint: 'List runs',
      exitCode: ExitCode.failure,
    });
    const bug = await explain(new TypeError('x is undefined'));
    expect(bug.exitCode).toBe(ExitCode.failure);
    expect(bug.hint).toBeUndefined();
    expect(bug.message).toContain('TypeError: x is undefined');
  });
});
