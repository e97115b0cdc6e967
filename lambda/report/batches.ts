import type { MetricDatum } from "@aws-sdk/client-cloudwatch";

/** PutMetricData limits: 1000 datums and 1 MB of request per call. */
export const MAX_DATUMS_PER_REQUEST = 1000;
export const MAX_REQUEST_BYTES = 1_000_000;
/** Room for the request envelope (namespace, protocol fields). */
const ENVELOPE_BYTES = 1_000;

/** The datum's size on the wire, as the JSON protocol encodes it (timestamps as epoch seconds). */
export function datumBytes(d: MetricDatum): number {
  return Buffer.byteLength(JSON.stringify({ ...d, Timestamp: d.Timestamp ? d.Timestamp.getTime() / 1000 : undefined })) + 1;
}

/** Splits datums into requests within both limits, keeping their order. */
export function batchDatums(datums: MetricDatum[], maxDatums = MAX_DATUMS_PER_REQUEST, maxBytes = MAX_REQUEST_BYTES): MetricDatum[][] {
  const batches: MetricDatum[][] = [];
  let current: MetricDatum[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const d of datums) {
    const size = datumBytes(d);
    if (current.length > 0 && (current.length >= maxDatums || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(d);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}
