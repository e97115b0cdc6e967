import * as cdk from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { Endpoint } from "../lambda/registry/schema.js";
import type { MonitorConfig } from "./config.js";
import { TlsPoolMonitor } from "./construct.js";

export interface TlsPoolMonitorStackProps extends cdk.StackProps {
  endpoints: Endpoint[];
  config: MonitorConfig;
}

export class TlsPoolMonitorStack extends cdk.Stack {
  readonly monitor: TlsPoolMonitor;

  constructor(scope: Construct, id: string, props: TlsPoolMonitorStackProps) {
    super(scope, id, props);
    this.monitor = new TlsPoolMonitor(this, "Monitor", { endpoints: props.endpoints, config: props.config });
    new cdk.CfnOutput(this, "AlertTopicArn", { value: this.monitor.topic.topicArn });
    new cdk.CfnOutput(this, "FunctionName", { value: this.monitor.function.functionName });
    new cdk.CfnOutput(this, "Shards", { value: String(this.monitor.shardPlan.shards) });
  }
}
