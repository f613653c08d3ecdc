// jstat ships no type declarations; these cover the distributions the engine uses. The package
// is CommonJS: its module.exports is the jStat object, so it is the default import.
declare module 'jstat' {
  const jStat: {
    normal: {
      cdf(x: number, mean: number, std: number): number;
      inv(p: number, mean: number, std: number): number;
    };
    studentt: {
      cdf(x: number, dof: number): number;
      inv(p: number, dof: number): number;
    };
  };
  export default jStat;
}
