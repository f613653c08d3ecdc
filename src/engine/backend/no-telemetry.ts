// Imported for its side effect, before onnxruntime-node anywhere in the process.
//
// onnxruntime-node 1.30's native library ships Microsoft's telemetry client: unless this variable
// is set when the first session is created, it writes a persistent device id and usage events to
// ~/.cache/Microsoft/DeveloperTools/.onnxruntime/, queues them for upload, looks up Microsoft's
// telemetry host, and leaves /tmp/mat-debug-PID.log behind. An offline forensics tool must not do
// any of that. The variable is read by the native code through getenv(), which sees what
// process.env sets; child processes (the Electron utility process, test children) inherit it.
process.env.ORT_DISABLE_TELEMETRY = '1';

export const TELEMETRY_DISABLED = true;
