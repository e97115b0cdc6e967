import * as cdk from "aws-cdk-lib";
import type { Construct } from "constructs";
import { TlsPoolMonitor, type TlsPoolMonitorProps } from "./construct.js";

export interface TlsPoolMonitorStackProps extends cdk.StackProps {
  monitor: TlsPoolMonitorProps;
}

/** This repository's own deployment: one construct per stack, and the outputs the README's steps read. */
export class TlsPoolMonitorStack extends cdk.Stack {
  readonly monitor: TlsPoolMonitor;

  constructor(scope: Construct, id: string, props: TlsPoolMonitorStackProps) {
    super(scope, id, props);
    this.monitor = new TlsPoolMonitor(this, "Monitor", props.monitor);
    this.templateOptions.description ??= `tls-pool-monitor: ${this.monitor.endpointNames.length} endpoint(s) probed from ${this.region}`;
    new cdk.CfnOutput(this, "AlertTopicArn", { value: this.monitor.topic.topicArn });
    new cdk.CfnOutput(this, "FunctionName", { value: this.monitor.function.functionName });
    new cdk.CfnOutput(this, "Shards", { value: String(this.monitor.shardPlan.shards) });
  }
}
