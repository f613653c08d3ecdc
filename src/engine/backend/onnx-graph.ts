// A minimal writer for ONNX models built in code: the few protobuf messages a small graph of
// standard operators needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto), encoded by hand. Used for graphs that are derived from engine parameters at run
// time rather than trained (the wavelet denoiser, the library classifier's fit objective in
// backend/dense.ts), so no model file has to be
// shipped, hashed and kept in step with the JavaScript reference. A protobuf library would need the
// onnx.proto schema at run time for what is ~100 lines of wire format; field numbers below are
// those of onnx/onnx.proto (IR version 8, the default opset 17 that ONNX Runtime 1.30 runs).

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  private varint(value: bigint): void {
    // int64 fields: negative numbers are their 64-bit two's complement, ten bytes.
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_BYTES);
    this.varint(BigInt(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** ONNX TensorProto.DataType values used here. */
export const FLOAT = 1;
export const INT64 = 7;
export const DOUBLE = 11;

export type AttributeValue = number | number[] | { floats: number[] } | { int: number };

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integers are written as INT/INTS; `{ floats }` and non-integers as FLOAT(S). */
  attributes?: Record<string, AttributeValue>;
}

export interface GraphTensor {
  name: string;
  dims: number[];
  type: typeof FLOAT | typeof INT64;
  values: ArrayLike<number>;
}

export interface GraphValue {
  name: string;
  type: typeof FLOAT | typeof INT64 | typeof DOUBLE;
  /** A number is a fixed size, a string a symbolic (dynamic) one. */
  shape: (number | string)[];
}

export interface GraphSpec {
  name: string;
  nodes: GraphNode[];
  initializers: GraphTensor[];
  inputs: GraphValue[];
  outputs: GraphValue[];
}

function writeAttribute(w: Writer, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') {
    if (Number.isInteger(value)) w.int(3, value).int(20, 2);
    else w.float(2, value).int(20, 1);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, 6);
  } else {
    w.int(3, value.int).int(20, 2);
  }
}

function writeTensor(w: Writer, t: GraphTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.type);
  w.string(8, t.name);
  const n = t.values.length;
  const raw = new Uint8Array(n * (t.type === FLOAT ? 4 : 8));
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    if (t.type === FLOAT) view.setFloat32(4 * i, t.values[i], true);
    else view.setBigInt64(8 * i, BigInt(t.values[i]), true);
  }
  w.bytes(9, raw);
}

function writeValueInfo(w: Writer, v: GraphValue): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** Serialises a graph as an ONNX model (IR 8, default domain at `opset`). */
export function encodeModel(spec: GraphSpec, opset = 17): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'genprint');
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) =>
      g.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const y of n.outputs) node.string(2, y);
        node.string(3, `${n.op.toLowerCase()}_${i}`);
        node.string(4, n.op);
        for (const [k, v] of Object.entries(n.attributes ?? {})) node.message(5, (a) => writeAttribute(a, k, v));
      }),
    );
    g.string(2, spec.name);
    for (const t of spec.initializers) g.message(5, (m) => writeTensor(m, t));
    for (const v of spec.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of spec.outputs) g.message(12, (m) => writeValueInfo(m, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, opset));
  return w.finish();
}

/** Small helper for building node lists with unique intermediate names. */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly initializers: GraphTensor[] = [];
  private counter = 0;
  private constants = new Map<string, string>();

  /** Adds a node and returns its (first) output name. */
  op(op: string, inputs: string[], attributes?: GraphNode['attributes'], outputs = 1): string {
    const names = Array.from({ length: outputs }, () => `t${this.counter++}`);
    this.nodes.push({ op, inputs, outputs: names, attributes });
    return names[0];
  }

  /** A constant tensor as an initializer (deduplicated by content). */
  constant(type: GraphTensor['type'], dims: number[], values: ArrayLike<number>): string {
    const key = `${type}|${dims.join(',')}|${Array.from(values).join(',')}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = `c${this.constants.size}`;
    this.initializers.push({ name, dims, type, values });
    this.constants.set(key, name);
    return name;
  }

  ints(values: number[]): string {
    return this.constant(INT64, [values.length], values);
  }
}
