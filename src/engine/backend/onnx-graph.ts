// A few-operator ONNX graph written as protobuf bytes, for sessions that are built in code rather
// than trained (the dense products of the library classifier's fit, backend/dense.ts).
//
// Hand-written because the ONNX model format is a protobuf message and the only thing needed is to
// write one: protobufjs and the generated ONNX bindings would be a large dependency for ~60 lines.
// Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
// ValueInfoProto, TypeProto, TensorShapeProto); the format is documented at protobuf.dev.

/** ONNX TensorProto.DataType codes used here. */
export const ONNX_DOUBLE = 11;
export const ONNX_INT64 = 7;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

const tag = (field: number, wireType: 0 | 2) => varint(field * 8 + wireType);
const int = (field: number, value: number) => [...tag(field, 0), ...varint(value)];
const bytes = (field: number, payload: number[]) => [...tag(field, 2), ...varint(payload.length), ...payload];
const text = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

/** A tensor input or output: name, element type and shape (numbers are fixed sizes, strings symbolic). */
export function tensorInfo(name: string, elemType: number, shape: (number | string)[]): number[] {
  const dims = shape.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : text(2, d)));
  const tensorType = [...int(1, elemType), ...bytes(2, dims)];
  return [...text(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** An integer attribute (AttributeProto type INT = 2). */
export function intAttribute(name: string, value: number): number[] {
  return [...text(1, name), ...int(20, 2), ...int(3, value)];
}

export function graphNode(opType: string, inputs: string[], outputs: string[], attributes: number[][] = []): number[] {
  return [...inputs.flatMap((i) => text(1, i)), ...outputs.flatMap((o) => text(2, o)), ...text(4, opType), ...attributes.flatMap((a) => bytes(5, a))];
}

/** A model of the default domain at opset 17 (IR version 8). */
export function onnxModel(nodes: number[][], inputs: number[][], outputs: number[][]): Uint8Array {
  const graph = [...nodes.flatMap((n) => bytes(1, n)), ...text(2, 'genprint'), ...inputs.flatMap((i) => bytes(11, i)), ...outputs.flatMap((o) => bytes(12, o))];
  return Uint8Array.from([...int(1, 8), ...bytes(8, int(2, 17)), ...bytes(7, graph)]);
}
