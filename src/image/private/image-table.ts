/**
 * The shape of the generated image table (`image-table.generated.ts`): the
 * facts about SageMaker's own images that the library needs, in its own
 * compact format. Field names are short because the table is large.
 */
export interface ImageTable {
  /** Partition DNS suffix by region prefix (`cn-` -> `amazonaws.com.cn`), `default` for the rest. */
  readonly domains: { readonly [regionPrefix: string]: string };
  /** Registry maps: map id -> region -> registry account id. */
  readonly registries: { readonly [id: string]: { readonly [region: string]: string } };
  /** Image name (`sklearn`, `pytorch`, `linear-learner`, ...) -> facts per use. */
  readonly images: { readonly [name: string]: ImageFacts };
}

export interface ImageFacts {
  readonly training?: ImageScopeFacts;
  readonly inference?: ImageScopeFacts;
}

export interface ImageScopeFacts {
  /** Version aliases (`2.19` -> `2.19.0`). */
  readonly aliases?: { readonly [alias: string]: string };
  readonly versions: { readonly [version: string]: ImageVersionFacts };
}

export interface ImageVersionFacts {
  /** Repository (absent when it depends on the Python version: see `byPy`). */
  readonly r?: string;
  /** Registry map id. */
  readonly m?: string;
  /** Processors; absent: the tag has no processor part and any instance type runs it. */
  readonly p?: readonly string[];
  /** Python versions; absent: the tag has no Python part. */
  readonly py?: readonly string[];
  /** Container version per processor: the tag's last part. */
  readonly c?: { readonly [processor: string]: string };
  /** Repository and registry map per Python version. */
  readonly byPy?: { readonly [py: string]: { readonly r: string; readonly m: string } };
}
