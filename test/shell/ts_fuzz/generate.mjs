/**
 * Random TypeScript programs, from a seed: classes (fields, parameter properties, private names,
 * accessors, static blocks, inheritance), enums, namespaces (exported variables mutated inside
 * and out, merged into classes and functions), functions with typed and destructured parameters,
 * generators, async code and output, in random combinations that end in an expression probing
 * what they declared. The same seed gives the same programs (compare.mjs runs them like cases).
 */

/** mulberry32: a small, seedable generator. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` programs as test files (`{ name, options, files }`, as cases.mjs parses them). */
export function generatePrograms(seed, count) {
  const out = [];
  for (let k = 0; k < count; k++) {
    const rnd = random(seed * 100_003 + k);
    const g = new Program(rnd, k);
    const cells = g.build();
    out.push({
      name: `generated #${k} (seed ${seed})`,
      options: g.experimental ? { experimentaldecorators: "true" } : {},
      files: cells.map((text, i) => ({ name: `gen${k}_${i}.ts`, text })),
    });
  }
  return out;
}

const TYPES = ["number", "string", "boolean", "unknown", "any", "number[]", "{ a: number }", "Record<string, number>", "readonly string[]"];

class Program {
  constructor(rnd, k) {
    this.rnd = rnd;
    this.k = k;
    this.n = 0;
    this.probes = [];
    this.classes = [];
    this.experimental = false;
  }
  pick(xs) {
    return xs[Math.floor(this.rnd() * xs.length)];
  }
  chance(p) {
    return this.rnd() < p;
  }
  int(n) {
    return Math.floor(this.rnd() * n);
  }
  name(prefix) {
    return `${prefix}${this.k}_${this.n++}`;
  }
  type() {
    return this.pick(TYPES);
  }
  literal() {
    return this.pick([
      String(this.int(100)),
      `"s${this.int(10)}"`,
      "true",
      "null",
      "[1, 2]",
      "{ a: 1 }",
      `${this.int(9)}n`,
      "undefined",
      "-0",
      "0.5",
    ]);
  }

  build() {
    const parts = [];
    const features = [
      () => this.klass(),
      () => this.enumeration(),
      () => this.namespace(),
      () => this.functions(),
      () => this.values(),
      () => this.asyncWork(),
      () => this.generator(),
      () => this.globalNames(),
      () => this.privateNames(),
      () => this.destructuring(),
    ];
    const count = 2 + this.int(4);
    for (let i = 0; i < count; i++) parts.push(this.pick(features)());
    if (this.chance(0.15)) parts.push(this.decorated());
    const probes = this.probes.length > 0 ? `[${this.probes.join(", ")}]` : "0";
    // sometimes a second cell reads the first's names
    if (this.chance(0.25) && parts.length > 1) return [parts.join("\n"), probes];
    return [`${parts.join("\n")}\n${probes}`];
  }

  klass() {
    const name = this.name("C");
    const base = this.classes.length > 0 && this.chance(0.4) ? this.pick(this.classes) : undefined;
    const lines = [];
    const params = [];
    const ctorArgs = [];
    for (let i = 0, m = this.int(4); i < m; i++) {
      const mods = this.pick(["public ", "private ", "protected ", "readonly ", "public readonly ", "", ""]);
      const p = `p${i}`;
      params.push(`${mods}${p}: ${this.type()}${this.chance(0.3) ? ` = ${this.literal()}` : ""}`);
      ctorArgs.push(this.literal());
    }
    for (let i = 0, m = this.int(5); i < m; i++) {
      switch (this.int(8)) {
        case 0:
          lines.push(`  f${i}: ${this.type()} = ${this.literal()};`);
          break;
        case 1:
          lines.push(`  f${i}?: ${this.type()};`);
          break;
        case 2:
          lines.push(`  static s${i} = ${this.literal()};`);
          break;
        case 3:
          lines.push(`  #h${i} = ${this.literal()};`, `  get g${i}() { return this.#h${i}; }`);
          break;
        case 4:
          lines.push(`  m${i}(x: number = ${this.int(5)}): number { return x + ${i}; }`);
          break;
        case 5:
          lines.push(`  static { (this as any).block${i} = ${this.literal()}; }`);
          break;
        case 6:
          lines.push(`  accessor a${i} = ${this.literal()};`);
          break;
        default:
          lines.push(`  declare d${i}: ${this.type()};`);
      }
    }
    if (params.length > 0 || base) {
      const superCall = base ? `    super(${base.args.join(", ")});\n` : "";
      lines.push(`  constructor(${params.join(", ")}) {\n${superCall}  }`);
    }
    const abstract = !base && this.chance(0.15) ? "abstract " : "";
    const cls = `${abstract}class ${name}${base ? ` extends ${base.name}` : ""}${this.chance(0.2) ? " implements Object" : ""} {\n${lines.join("\n")}\n}`;
    if (!abstract) {
      this.classes.push({ name, args: ctorArgs });
      const v = this.name("i");
      this.probes.push(`Object.keys(${v})`, `JSON.stringify(${v}, (k, x) => typeof x === "bigint" ? String(x) : x)`);
      return `${cls}\nconst ${v} = new ${name}(${ctorArgs.join(", ")});`;
    }
    return cls;
  }

  enumeration() {
    const name = this.name("E");
    const members = [];
    let numeric = this.chance(0.6);
    for (let i = 0, m = 1 + this.int(4); i < m; i++) {
      if (numeric)
        members.push(this.chance(0.3) ? `M${i} = ${this.int(10)}` : this.chance(0.2) && i > 0 ? `M${i} = M${i - 1} << 1` : `M${i}`);
      else members.push(`M${i} = "v${i}"`);
      if (this.chance(0.2)) numeric = !numeric && i > 0 ? false : numeric;
    }
    this.probes.push(`Object.entries(${name})`);
    return `${this.chance(0.2) ? "const " : ""}enum ${name} { ${members.join(", ")} }`;
  }

  namespace() {
    const name = this.name("N");
    const body = [];
    const merged = this.chance(0.25) ? this.pick(["class", "function"]) : undefined;
    const pre =
      merged === "class" ? `class ${name} { static own = 1; }\n` : merged === "function" ? `function ${name}() { return "called"; }\n` : "";
    body.push(`  export let count: number = ${this.int(5)};`);
    body.push(`  export function bump(by = 1) { count += by; return count; }`);
    if (this.chance(0.5)) body.push(`  export const { x, y = ${this.int(9)} } = { x: ${this.literal()} } as any;`);
    if (this.chance(0.5)) body.push(`  export class Inner { v = count; }`);
    if (this.chance(0.4)) body.push(`  export enum Kind { A, B }`);
    if (this.chance(0.4)) body.push(`  export namespace Sub { export const deep = count + 1; }`);
    if (this.chance(0.3)) body.push(`  function hidden() { let count = 100; return count; }\n  export const viaHidden = hidden();`);
    if (this.chance(0.3)) body.push(`  export type T = number;\n  export interface I { a: T }`);
    const ns = `${pre}namespace ${name} {\n${body.join("\n")}\n}\n${name}.bump(${this.int(3)});`;
    this.probes.push(`${name}.count`, `${name}.bump()`, `Object.keys(${name})`);
    if (this.chance(0.3)) this.probes.push(`(${name}.count = 50, ${name}.bump())`);
    return ns;
  }

  functions() {
    const name = this.name("fn");
    const variant = this.int(5);
    const arrow = this.chance(0.4);
    const params = this.pick([
      "a: number, b: number = 2",
      "{ a, b = 3 }: { a: number; b?: number }",
      "[a, b]: [number, number?]",
      "a: number, ...rest: number[]",
      "this: unknown, a: number, b?: number",
    ]);
    const body = variant === 3 ? "return a + rest.length;" : "return [a, typeof b === 'undefined' ? 0 : b];";
    const call = [`${name}(1, 2)`, `${name}({ a: 1 })`, `${name}([1])`, `${name}(1, 2, 3)`, `${name}(4)`][variant];
    const params2 = arrow && variant === 4 ? "a: number, b?: number" : params;
    const fn = arrow
      ? `const ${name} = <T,>(${params2}): unknown => { ${body.replace("rest.length", variant === 3 ? "rest.length" : "0")} };`
      : `function ${name}<T>(${params2}): unknown { ${body} }`;
    this.probes.push(call, `${name}.length`, `${name}.name`);
    return fn;
  }

  values() {
    const a = this.name("v");
    const b = this.name("v");
    const kind = this.pick(["let", "const", "var"]);
    const lines = [
      `${kind} ${a}: ${this.type()} = ${this.literal()} as any;`,
      `let ${b} = (${a} as any) ?? ${this.literal()};`,
      `${b} = ${b}! satisfies unknown;`,
    ];
    if (this.chance(0.4)) lines.push(`console.log(${a}, typeof ${b});`);
    if (this.chance(0.3)) lines.push(`if (true) { var ${a}_var = ${this.int(9)}; }`);
    this.probes.push(a, b);
    return lines.join("\n");
  }

  /** Declarations named like the realm's globals (the notebook binds them under other identifiers). */
  globalNames() {
    const name = this.pick([
      "name",
      "status",
      "fetch",
      "performance",
      "queueMicrotask",
      "structuredClone",
      "btoa",
      "URL",
      "Buffer",
      "process",
      "setTimeout",
      "require",
      "module",
      "Deno",
    ]);
    // (not `var X;`, `enum X` or `namespace X`: in a script those are the realm's X; classify.mjs)
    const kind = this.pick(["const", "let", "function", "class"]);
    const inside = this.pick(["function", "class", "arrow", "namespace"]);
    const use =
      inside === "function"
        ? `function use_${name}() { return typeof ${name}; }`
        : inside === "class"
          ? `class Use_${name} { static seen = typeof ${name}; }`
          : inside === "arrow"
            ? `const use_${name} = () => ({ ${name} });`
            : `namespace Use_${name} { export const seen = typeof ${name}; export let ${name}_copy = 1; }`;
    const decl =
      kind === "function"
        ? `function ${name}() { return "mine"; }`
        : kind === "class"
          ? `class ${name} { static mine = true; }`
          : `${kind} ${name} = { mine: ${this.int(9)} } as any;`;
    this.probes.push(
      `typeof ${name}`,
      inside === "function"
        ? `use_${name}()`
        : inside === "class"
          ? `Use_${name}.seen`
          : inside === "arrow"
            ? `typeof use_${name}().${name}`
            : `Use_${name}.seen`,
    );
    return `${decl}\n${use}`;
  }

  privateNames() {
    const name = this.name("P");
    this.probes.push(`${name}.check(new ${name}())`, `${name}.check({})`, `new ${name}().peek()`, `Object.keys(new ${name}())`);
    return [
      `class ${name} {`,
      `  static #count = 0;`,
      `  #own = ${this.literal()};`,
      // (by `this`: tsc 5.9 reads its class alias `_a` in a static block before assigning it; classify.mjs)
      `  static { this.#count = ${this.int(5)}; }`,
      `  get #view() { return [this.#own, ${name}.#count]; }`,
      `  #bump() { return ++${name}.#count; }`,
      `  peek() { this.#bump(); return this.#view; }`,
      `  static check(o: object) { return #own in o; }`,
      `}`,
    ].join("\n");
  }

  destructuring() {
    const a = this.name("d");
    const b = this.name("d");
    const kind = this.pick(["const", "let", "var"]);
    this.probes.push(a, b);
    return this.pick([
      `${kind} { ${a}, ...${b} }: { ${a}: number; [k: string]: unknown } = { ${a}: ${this.int(9)}, z: ${this.literal()} } as any;`,
      `${kind} [${a} = ${this.int(9)}, ...${b}]: number[] = [${this.pick(["", "undefined, ", "1, 2, "])}3];`,
      `${kind} { p: { ${a} } = { ${a}: ${this.literal()} }, ${b} = ${a}! } = {} as any;`,
    ]);
  }

  asyncWork() {
    const name = this.name("task");
    this.probes.push(`typeof ${name}`);
    return `async function ${name}(n: number): Promise<number> { await null; return n * 2; }\n${name}(${this.int(9)}).then((v) => console.log("${name}", v));`;
  }

  generator() {
    const name = this.name("gen");
    this.probes.push(`[...${name}(${this.int(4)})]`);
    return `function* ${name}(n: number): Generator<number> { for (let i = 0; i < n; i++) yield i * i; }`;
  }

  decorated() {
    const name = this.name("D");
    if (this.chance(0.5)) {
      this.experimental = true;
      this.probes.push(`Object.keys(new ${name}())`);
      return `function mark${name}(t: any, k?: any, d?: any): any { return d; }\n@mark${name} class ${name} { @mark${name} m() { return 1; } f = 1; }`;
    }
    this.probes.push(`new ${name}().m()`);
    return `function twice${name}(fn: any, ctx: ClassMethodDecoratorContext) { return function (this: any) { return 2 * fn.call(this); }; }\nclass ${name} { @twice${name} m() { return 21; } }`;
  }
}
