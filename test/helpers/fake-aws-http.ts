/**
 * A fake AWS endpoint over real HTTP for the fault suite: CloudWatch (awsJson1_0: PutMetricData, GetMetricData),
 * SNS (awsQuery: Publish), ELBv2 (awsQuery: DescribeTargetHealth), EC2 (ec2Query: DescribeInstances) and Secrets
 * Manager (awsJson1_1: GetSecretValue), driven
 * through the real SDK clients, so that timeouts, retries and pagination are the SDK's own. Each service can be told to misbehave: stall (accept, never answer), 500, throttle, malformed
 * bodies, endless NextToken, or reset the connection.
 */
import http from "node:http";
import type net from "node:net";
import { gunzipSync } from "node:zlib";
import { AwsPublisher, defaultClients } from "../../lambda/aws/publisher.js";
import { DynamoMemoryStore } from "../../lambda/aws/state-table.js";

/**
 * accept-500 / accept-stall (Publish): SNS took the message (a subscriber gets it), then answered 500 or never
 * answered: the ambiguous answers. internal-error (DynamoDB): 500 InternalServerError before anything is done.
 */
export type Fault =
  "none" | "stall" | "500" | "throttle" | "malformed" | "endless-token" | "reset" | "access-denied" | "accept-500" | "accept-stall" | "internal-error";

type DynamoAction = "BatchGetItem" | "UpdateItem";
type Action =
  | "PutMetricData"
  | "GetMetricData"
  | "Publish"
  | "DescribeTargetHealth"
  | "DescribeTargetGroupAttributes"
  | "DescribeInstances"
  | "GetSecretValue"
  | DynamoAction;

/** A registered target as the fake's DescribeTargetHealth lists it. */
export interface FakeTarget {
  id: string;
  port?: number;
  state: string;
  reason?: string;
}

interface StoredDatum {
  metric: string;
  endpoint?: string;
  value?: number;
  timestamp: number;
}

export class FakeAwsHttp {
  readonly datums: StoredDatum[] = [];
  readonly published: Array<{
    subject: string;
    message: string;
    attributes: Record<string, string>;
    topic: string;
    groupId?: string;
    deduplicationId?: string;
  }> = [];
  /** Where DynamoDB requests go (moto's server), through this fake's faults. */
  dynamoUpstream?: string;
  private dynamoQueue: Promise<void> = Promise.resolve();
  readonly requests: Record<Action, number> = {
    PutMetricData: 0,
    GetMetricData: 0,
    Publish: 0,
    DescribeTargetHealth: 0,
    DescribeTargetGroupAttributes: 0,
    DescribeInstances: 0,
    GetSecretValue: 0,
    BatchGetItem: 0,
    UpdateItem: 0,
  };
  /** Target groups whose proxy_protocol_v2.enabled attribute is true. */
  readonly proxyProtocolV2 = new Set<string>();
  /** Secrets by ARN (SecretString); an ARN in `deniedSecrets` answers AccessDeniedException. */
  readonly secrets = new Map<string, string>();
  readonly deniedSecrets = new Set<string>();
  faults: Partial<Record<Action, Fault>> = {};
  /** Target groups by ARN, and instances' private IPv4 addresses by id. */
  readonly targetGroups = new Map<string, FakeTarget[]>();
  readonly instances = new Map<string, string>();
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeAwsHttp> {
    const server = http.createServer();
    const fake = new FakeAwsHttp(server);
    server.on("connection", (s) => {
      fake.sockets.add(s);
      s.on("close", () => fake.sockets.delete(s));
    });
    server.on("request", (req, res) => fake.handle(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** The Lambda's own clients (lambda/aws/publisher.ts defaultClients), pointed here with shorter timeouts. */
  publisher(config: { maxAttempts?: number; requestTimeout?: number; connectionTimeout?: number } = {}): AwsPublisher {
    const { cloudwatch, sns } = defaultClients({
      endpoint: this.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: config.maxAttempts ?? 3,
      requestTimeoutMs: config.requestTimeout ?? 1_000,
      connectionTimeoutMs: config.connectionTimeout ?? 1_000,
    });
    return new AwsPublisher(cloudwatch, sns);
  }

  /** The function's memory store (lambda/aws/state-table.ts), through this fake to moto. */
  memory(table: string, config: { maxAttempts?: number; requestTimeout?: number } = {}): DynamoMemoryStore {
    return DynamoMemoryStore.create(table, {
      endpoint: this.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: config.maxAttempts ?? 3,
      requestTimeoutMs: config.requestTimeout ?? 1_000,
      connectionTimeoutMs: 1_000,
    });
  }

  values(metric: string, endpoint?: string): Array<number | undefined> {
    return this.datums.filter((d) => d.metric === metric && d.endpoint === endpoint).map((d) => d.value);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  private getSecretValue(input: { SecretId: string }, res: http.ServerResponse): void {
    const answer = (status: number, doc: object, errorType?: string) => {
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.1",
        "x-amzn-requestid": "fake",
        ...(errorType ? { "x-amzn-errortype": errorType } : {}),
      });
      res.end(JSON.stringify(doc));
    };
    const arn = input.SecretId;
    if (this.deniedSecrets.has(arn))
      return answer(
        400,
        { __type: "AccessDeniedException", message: `not authorized to perform: secretsmanager:GetSecretValue on ${arn}` },
        "AccessDeniedException",
      );
    const value = this.secrets.get(arn);
    if (value === undefined)
      return answer(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }, "ResourceNotFoundException");
    return answer(200, {
      ARN: arn,
      Name: arn.split(":").pop(),
      SecretString: value,
      VersionId: "v1",
      VersionStages: ["AWSCURRENT"],
      CreatedDate: 1_700_000_000,
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target.startsWith("DynamoDB_20120810.")) return this.dynamo(target.slice("DynamoDB_20120810.".length), req, body, res);
      const form = new URLSearchParams(target ? "" : body.toString());
      const QUERY_ACTIONS = ["DescribeTargetHealth", "DescribeTargetGroupAttributes", "DescribeInstances"] as const;
      const queryAction = QUERY_ACTIONS.find((a) => form.get("Action") === a);
      const jsonAction = (["GetSecretValue", "PutMetricData", "GetMetricData"] as const).find((a) => target.endsWith(`.${a}`));
      const action: Action = jsonAction ?? queryAction ?? "Publish";
      this.requests[action]++;
      const fault = this.faults[action] ?? "none";
      if (fault === "stall") return; // accepted, never answered: the SDK's request timeout must end it
      if (fault === "reset") return req.socket.destroy();
      const json = action === "PutMetricData" || action === "GetMetricData";
      const send = (status: number, text: string, type = json ? "application/x-amz-json-1.0" : "text/xml") => {
        res.writeHead(status, { "content-type": type, "x-amzn-requestid": "fake" });
        res.end(text);
      };
      if (action === "GetSecretValue") return this.getSecretValue(JSON.parse(body.toString()) as { SecretId: string }, res);
      if (fault === "access-denied") return send(403, errorXml("AccessDenied", "User is not authorized to perform: elasticloadbalancing:DescribeTargetHealth"));
      if (action === "DescribeTargetHealth") return this.describeTargetHealth(form, send);
      if (action === "DescribeTargetGroupAttributes") {
        const arn = form.get("TargetGroupArn") ?? "";
        if (!this.targetGroups.has(arn)) return send(400, errorXml("TargetGroupNotFound", `Target groups '${xml(arn)}' not found`));
        const attribute = `<member><Key>proxy_protocol_v2.enabled</Key><Value>${this.proxyProtocolV2.has(arn)}</Value></member>`;
        return send(
          200,
          `<DescribeTargetGroupAttributesResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetGroupAttributesResult><Attributes><member><Key>deregistration_delay.timeout_seconds</Key><Value>300</Value></member>${attribute}</Attributes></DescribeTargetGroupAttributesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTargetGroupAttributesResponse>`,
        );
      }
      if (action === "DescribeInstances") return send(200, this.describeInstances(form));
      if (fault === "500") return send(500, json ? JSON.stringify({ __type: "InternalServiceError", message: "boom" }) : errorXml("InternalError", "boom"));
      if (fault === "throttle") {
        if (json) res.setHeader("x-amzn-query-error", "Throttling;Sender");
        return send(400, json ? JSON.stringify({ __type: "Throttling", message: "Rate exceeded" }) : errorXml("Throttling", "Rate exceeded"));
      }
      if (fault === "malformed") return send(200, json ? "{not json" : "<PublishResponse><oops");
      if (action === "PutMetricData" && fault === "accept-500") {
        this.put(JSON.parse(body.toString()));
        return send(500, JSON.stringify({ __type: "InternalServiceError", message: "stored, then failed" }));
      }
      if (action === "PutMetricData") return send(200, this.put(JSON.parse(body.toString())));
      if (action === "GetMetricData") return send(200, this.get(JSON.parse(body.toString()), fault === "endless-token"));
      this.published.push({
        subject: form.get("Subject") ?? "",
        message: form.get("Message") ?? "",
        attributes: messageAttributes(form),
        topic: form.get("TopicArn") ?? "",
        ...(form.get("MessageGroupId") ? { groupId: form.get("MessageGroupId")! } : {}),
        ...(form.get("MessageDeduplicationId") ? { deduplicationId: form.get("MessageDeduplicationId")! } : {}),
      });
      if (fault === "accept-stall") return;
      if (fault === "accept-500") return send(500, errorXml("InternalError", "boom after accepting"));
      return send(
        200,
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${this.published.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
      );
    });
  }

  /** DynamoDB: faults here, everything else forwarded to moto as it came. */
  private dynamo(operation: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const action = operation as DynamoAction;
    if (action in this.requests) this.requests[action]++;
    const fault = this.faults[action] ?? "none";
    if (fault === "stall") return;
    if (fault === "reset") return void req.socket.destroy();
    if (fault === "internal-error") {
      res.writeHead(500, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "fake" });
      return void res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "Internal server error" }));
    }
    if (!this.dynamoUpstream) throw new Error("FakeAwsHttp: DynamoDB request without dynamoUpstream");
    const upstreamUrl = this.dynamoUpstream;
    // One request at a time: moto's threaded server checks a condition and writes without a lock, so two
    // concurrent conditional writes could both succeed; DynamoDB makes each item's conditional write atomic.
    this.dynamoQueue = this.dynamoQueue.then(
      () =>
        new Promise<void>((done) => {
          const upstream = http.request(
            `${upstreamUrl}/`,
            // No keep-alive to moto: nothing of this fake outlives its test.
            {
              method: "POST",
              agent: false,
              headers: { ...req.headers, "content-length": String(body.length), "content-encoding": "identity", connection: "close" },
            },
            (answer) => {
              res.writeHead(answer.statusCode ?? 500, answer.headers);
              answer.pipe(res);
              answer.on("end", done);
              answer.on("error", done);
            },
          );
          upstream.on("error", () => {
            req.socket.destroy();
            done();
          });
          upstream.end(body);
        }),
    );
  }

  private describeTargetHealth(form: URLSearchParams, send: (status: number, text: string) => void): void {
    const arn = form.get("TargetGroupArn") ?? "";
    const targets = this.targetGroups.get(arn);
    if (!targets) return send(400, errorXml("TargetGroupNotFound", `Target groups '${xml(arn)}' not found`));
    const members = targets
      .map(
        (t) =>
          `<member><Target><Id>${xml(t.id)}</Id>${t.port === undefined ? "" : `<Port>${t.port}</Port>`}</Target>` +
          `<TargetHealth><State>${t.state}</State>${t.reason ? `<Reason>${t.reason}</Reason>` : ""}</TargetHealth></member>`,
      )
      .join("");
    send(
      200,
      `<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult><TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`,
    );
  }

  private describeInstances(form: URLSearchParams): string {
    // The instance-id filter's values (Filter.1.Name=instance-id, Filter.1.Value.N); ids it does not know are left out.
    const ids = [...form.entries()].filter(([k]) => /^Filter\.1\.Value\.\d+$/.test(k)).map(([, v]) => v);
    const items = ids
      .filter((id) => this.instances.has(id))
      .map((id) => `<item><instanceId>${id}</instanceId><privateIpAddress>${this.instances.get(id)}</privateIpAddress></item>`)
      .join("");
    return `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet>${items}</instancesSet></item></reservationSet></DescribeInstancesResponse>`;
  }

  private put(input: { MetricData: Array<{ MetricName: string; Dimensions?: Array<{ Value: string }>; Value?: number; Timestamp?: number }> }): string {
    for (const d of input.MetricData) {
      const endpoint = d.Dimensions?.[0]?.Value;
      this.datums.push({
        metric: d.MetricName,
        ...(endpoint === undefined ? {} : { endpoint }),
        ...(d.Value === undefined ? {} : { value: d.Value }),
        timestamp: d.Timestamp ?? 0,
      });
    }
    return "{}";
  }

  private get(
    input: { MetricDataQueries: Array<{ Id: string; MetricStat: { Metric: { MetricName: string; Dimensions: Array<{ Value: string }> } } }> },
    endless: boolean,
  ): string {
    const results = input.MetricDataQueries.map((q) => {
      const m = q.MetricStat.Metric;
      const points = this.datums.filter((d) => d.metric === m.MetricName && d.endpoint === m.Dimensions[0]!.Value && d.value !== undefined).reverse();
      return { Id: q.Id, Values: points.map((p) => p.value), Timestamps: points.map((p) => p.timestamp), StatusCode: "Complete" };
    });
    return JSON.stringify({ MetricDataResults: results, ...(endless ? { NextToken: `t${this.requests.GetMetricData}` } : {}) });
  }
}

const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

const errorXml = (code: string, message: string) =>
  `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

/** SNS's MessageAttributes.entry.N.Name / .Value.StringValue. */
function messageAttributes(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) {
    const m = /^MessageAttributes\.entry\.(\d+)\.Name$/.exec(k);
    if (m) out[v] = form.get(`MessageAttributes.entry.${m[1]}.Value.StringValue`) ?? "";
  }
  return out;
}
