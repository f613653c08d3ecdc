// Chart components as pure functions returning SVG strings: the renderer inlines them, the report
// draws them into the PDF, and tests rasterise them with sharp. No React, no DOM.
export { heatmapSvg, type HeatmapOptions } from './heatmap.js';
export { dendrogramSvg, type DendrogramOptions } from './dendrogram.js';
export { stabilitySvg, type StabilityOptions } from './stability.js';
export { colourScale, autoScale, legendSvg, type ColourScale, type ScaleKind, type LegendOptions } from './colour.js';
export { escapeXml, ellipsizeMiddle, estimateTextWidth, fmt } from './text.js';
export { niceTicks } from './ticks.js';
