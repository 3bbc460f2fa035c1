// Parses every ```mermaid block of the files given as arguments with @mermaid-js/parser (an ES
// module, loaded here in a child process so that no test and nothing on the synth path loads it).
// Prints one JSON line per block: { file, type, services, groups, edges } or { file, error }.
import * as fs from 'node:fs';
import { parse } from '@mermaid-js/parser';

for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  for (const [, source] of text.matchAll(/```mermaid\n([\s\S]*?)```/g)) {
    const type = source.trim().split(/\s/)[0];
    try {
      if (type !== 'architecture-beta') throw new Error(`@mermaid-js/parser cannot parse ${type}`);
      const ast = await parse('architecture', source);
      const edges = ast.edges.map((e) => ({ from: e.lhsId, to: e.rhsId, title: e.title }));
      const services = ast.services.map((s) => ({ id: s.id, in: s.in, title: s.title }));
      console.log(JSON.stringify({ file, type, services, groups: ast.groups.map((g) => g.id), edges }));
    } catch (err) {
      console.log(JSON.stringify({ file, type, error: err.message }));
    }
  }
}
