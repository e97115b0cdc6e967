/**
 * The construct library: `import { TlsPoolMonitor } from "tls-pool-monitor/cdk"`. The probe function ships
 * prebuilt inside the package (dist/handler); aws-cdk-lib and constructs are the app's own (peer dependencies);
 * cdk-nag, when the app has it, receives the construct's reviewed exceptions.
 */
export { TlsPoolMonitor, alarmName, type AlarmMode, type MonitorAlarm, type MonitorMetricOptions, type TlsPoolMonitorProps } from "./construct.js";
export { MonitorConfigSchema, type TlsPoolMonitorSettings } from "./config.js";
export { RegistryInvalidError, type RegistrySource } from "./registry.js";
export { MAX_ALARM_DESCRIPTION } from "./alarms.js";
export { METRICS, type MetricName } from "../lambda/report/metrics.js";
export type { EndpointInput } from "../lambda/registry/schema.js";
