// KafkaProducer on the rdkafka client: Java's murmur2 partitioner (murmur2_random: keyed records
// land where Kafka's Java client and kafkajs's DefaultPartitioner put them), acks=all, idempotence,
// endless retries for a plain producer (it rides out an outage), transactions whose offsets are
// sent with the group's consumer (KIP-447: the coordinator fences a member that lost its
// partitions), and the package's fixed 5 s transaction timeouts retried while librdkafka says so.
import type { KafkaProducer, KafkaRecord, KafkaTransaction, ProducerConfig, SendBatchRequest, SendRequest } from '../types.js';
import { MAX_MESSAGE_BYTES } from './config.js';
import { connectWatched, kafkaJsError, type ConnectWatch } from './connect.js';
import type { RdConsumer, RdKafka, RdMessage, RdProducer } from './load.js';

export interface ProducerContext {
  kafka: RdKafka;
  /** How connect() watches the native client (connect.ts). */
  watch: ConnectWatch;
  /** The connected consumer of a group created from the same client, for sendOffsets. */
  consumerOfGroup(groupId: string): RdConsumer | undefined;
  /** Native calls of the client's producers that could block the process's exit (KafkaClient.blockedCalls). */
  blocked: Set<Promise<unknown>>;
}

const TRANSACTION_TIMEOUT_MS = 60_000;
/** How long a transactional call that timed out (retriably) is tried again. */
const RETRY_TIMED_OUT_MS = 60_000;
const TIMED_OUT = -185;

export function rdkafkaProducer(ctx: ProducerContext, config: ProducerConfig): KafkaProducer {
  const transactional = config.transactionalId !== undefined;
  const settings = {
    partitioner: 'murmur2_random',
    'allow.auto.create.topics': false,
    acks: -1,
    'enable.idempotence': transactional || config.idempotent === true,
    ...(config.maxInFlightRequests !== undefined && { 'max.in.flight': config.maxInFlightRequests }),
    ...(transactional && { 'transactional.id': config.transactionalId, 'transaction.timeout.ms': TRANSACTION_TIMEOUT_MS }),
    // Endless retries (idempotence requires them); a record of a transaction gives up with it.
    retries: 2_147_483_647,
    'message.timeout.ms': transactional ? TRANSACTION_TIMEOUT_MS : 0,
    'message.max.bytes': MAX_MESSAGE_BYTES,
    // No linger: batching is chosen above, from the arrival rate (a paced camera's frame goes at
    // once, a file source lingers 10 ms, the broker's outputs gather while a request is in flight).
    // 8 × 30 fps paced, null processor (bench, 2026-12-05): 2 ms gave p50 13.7 ms, 0 gives 6.6–7.7 ms,
    // and no loss of backlog throughput within this machine's run-to-run spread.
    'linger.ms': 0,
  };
  let producer: RdProducer | undefined;
  const resendable = new ResendableSends();

  const connectOnce = async (): Promise<RdProducer> => {
    const p = ctx.kafka.producer(settings);
    try {
      await connectWatched(() => p.connect(), () => p._getInternalClient(), ctx.watch, () => p.disconnect());
    } catch (err) {
      void p.disconnect().catch(() => {});
      throw err;
    }
    return p;
  };
  const connected = (): RdProducer => {
    if (!producer) throw new Error('rdkafka producer: not connected');
    return producer;
  };

  return {
    async connect() {
      if (!transactional) {
        producer = await connectOnce();
        resendable.watch(producer);
        return;
      }
      // Initialising the transactional id waits for the coordinator to finish (abort or commit)
      // the transaction a fenced instance left; the package gives that 5 s. Try again with a
      // fresh instance while it times out.
      producer = await retryTimedOut(connectOnce);
    },
    async disconnect() {
      const p = producer;
      producer = undefined;
      if (p) await watchBlocked(ctx.blocked, p.disconnect());
    },
    send: (request) => (transactional ? sendOn(connected(), request) : resendable.send(connected(), request)),
    sendBatch: (request) => sendBatchOn(connected(), request),
    async transaction(): Promise<KafkaTransaction> {
      const p = connected();
      const txn = await p.transaction();
      return {
        send: (request) => sendOn(txn, request),
        sendBatch: (request) => sendBatchOn(txn, request),
        sendOffsets: async ({ consumerGroupId, topics }) => {
          const consumer = ctx.consumerOfGroup(consumerGroupId);
          if (!consumer) throw new Error(`rdkafka: sendOffsets for group ${consumerGroupId} needs that group's running consumer, made by the same client`);
          await retryTimedOut(() => watchBlocked(ctx.blocked, txn.sendOffsets({ consumer, topics })));
        },
        commit: () => retryTimedOut(() => watchBlocked(ctx.blocked, txn.commit())),
        abort: () => retryTimedOut(() => watchBlocked(ctx.blocked, txn.abort())),
      };
    },
  };
}

const ALL_BROKERS_DOWN = -187;
/** After connect, the package hands error events over without their code (-1): the reason says it. */
const ALL_BROKERS_DOWN_TEXT = /all broker connections are down/i;

/**
 * A plain producer's sends as kafkajs's behave: librdkafka retries a record until it is delivered,
 * so a send would just wait out an outage; callers (the producer's buffer) need to hear of it. A
 * send pending while librdkafka says every broker is down fails as "unavailable" — its records stay
 * queued, and sending the same messages array again waits for that delivery instead of queuing
 * them twice (no duplicate, nothing lost).
 */
class ResendableSends {
  private readonly pending = new WeakMap<readonly KafkaRecord[], Promise<unknown>>();
  private down = false;
  private readonly onDown = new Set<() => void>();

  /** Follows the native client's connection state (all brokers down; up again on a delivery). */
  watch(p: RdProducer): void {
    p._getInternalClient()?.on('event.error', (e) => {
      if (e.code !== ALL_BROKERS_DOWN && !ALL_BROKERS_DOWN_TEXT.test(e.message)) return;
      this.down = true;
      for (const listener of this.onDown) listener();
    });
  }

  send(p: RdProducer, request: SendRequest): Promise<unknown> {
    let delivery = this.pending.get(request.messages);
    if (!delivery) {
      delivery = sendOn(p, request);
      this.pending.set(request.messages, delivery);
      // A delivered array stays known (weakly): a resend after the failure this class reported is
      // answered by that delivery. A failed one may be sent again.
      delivery.then(
        () => void (this.down = false),
        () => void this.pending.delete(request.messages),
      );
    }
    return this.unlessDown(delivery);
  }

  private unlessDown(delivery: Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const fail = () => reject(kafkaJsError({ code: ALL_BROKERS_DOWN, message: 'all broker connections are down (the records stay queued until Kafka is back)' }));
      if (this.down) return fail();
      this.onDown.add(fail);
      delivery.then(resolve, reject).finally(() => this.onDown.delete(fail));
    });
  }
}

/** The package turns each record into its own shape in place; callers may send theirs again. */
function copy(m: KafkaRecord): RdMessage {
  return { key: m.key, value: m.value, partition: m.partition, timestamp: m.timestamp, headers: m.headers && { ...m.headers } };
}

function sendOn(p: RdProducer, { topic, messages }: SendRequest): Promise<unknown> {
  // acks: every caller asks for all (-1), which is how the producer is configured.
  return p.send({ topic, messages: messages.map(copy) });
}

async function sendBatchOn(p: RdProducer, { topicMessages }: SendBatchRequest): Promise<unknown> {
  return (await Promise.all(topicMessages.map((t) => sendOn(p, t)))).flat();
}

/**
 * Notes `call` in `blocked` until it settles. librdkafka's transactional calls can wait for good
 * on a coordinator that failed over, and destroying a producer while one of them waits deadlocks
 * (seen: send_offsets_to_transaction waiting on a condition rd_kafka_txns_term destroys): either
 * holds a libuv thread, which a normal exit joins.
 */
function watchBlocked<T>(blocked: Set<Promise<unknown>>, call: Promise<T>): Promise<T> {
  blocked.add(call);
  const settled = () => void blocked.delete(call);
  call.then(settled, settled);
  return call;
}

/** Runs `op` again while it fails with librdkafka's "timed out" (its transactional calls may be called again then). */
async function retryTimedOut<T>(op: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRY_TIMED_OUT_MS;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if ((err as { code?: unknown }).code !== TIMED_OUT || Date.now() > deadline) throw err;
    }
  }
}
