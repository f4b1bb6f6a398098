// The graph's look: the same colours as docker/browser-style.grass (Neo4j Browser).
import type cytoscape from "cytoscape";

const COLOURS: Record<string, [string, string]> = {
  agent: ["#4C8EDA", "#2870C2"],
  entity: ["#ECB5C9", "#DA7298"],
  heuristic: ["#57C7E3", "#23B3D7"],
  anti_pattern: ["#F16667", "#EB2728"],
  outcome: ["#D9C8AE", "#C0A378"],
  domain_knowledge: ["#C990C0", "#B261A5"],
  preference: ["#FFC454", "#D7A013"],
};

export const graphStyle: cytoscape.StylesheetStyle[] = [
  {
    selector: "node",
    style: {
      label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": "120px", "text-valign": "bottom",
      "text-margin-y": 3, width: 26, height: 26, "border-width": 2, "background-color": "#A5ABB6", "border-color": "#9AA1AC",
    },
  },
  ...Object.entries(COLOURS).map(([kind, [fill, border]]) => ({
    selector: `node.${kind}`,
    style: { "background-color": fill, "border-color": border },
  })),
  { selector: "node.agent", style: { width: 38, height: 38, "font-weight": "bold" } },
  { selector: "node.memory", style: { shape: "round-rectangle" } },
  { selector: "node.superseded", style: { "background-color": "#D5D5D5", "border-color": "#AAAAAA", color: "#999", opacity: 0.7 } },
  { selector: "node.expanded", style: { "border-width": 4 } },
  { selector: "node:selected", style: { "border-color": "#222", "border-width": 4 } },
  {
    selector: "edge",
    style: {
      width: 1.5, "line-color": "#B8BEC8", "target-arrow-color": "#B8BEC8", "target-arrow-shape": "triangle",
      "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#556", "text-rotation": "autorotate",
      "text-background-color": "#fff", "text-background-opacity": 0.8, "text-background-padding": "1px",
    },
  },
  { selector: "edge.RELATED", style: { "line-color": "#DA7298", "target-arrow-color": "#DA7298", width: 2 } },
  { selector: "edge.INHERITS_FROM", style: { "line-color": "#2870C2", "target-arrow-color": "#2870C2", width: 3 } },
  { selector: "edge.SHARES_WITH", style: { "line-color": "#5DB665", "target-arrow-color": "#5DB665", width: 3 } },
  { selector: "edge.MENTIONS", style: { label: "", "line-style": "dotted" } },
  { selector: "edge.superseded", style: { "line-color": "#CCCCCC", "target-arrow-color": "#CCCCCC", "line-style": "dashed", color: "#AAA" } },
];
