import { z } from 'zod';

export interface FieldNodeDto {
  code: string;
  name: string;
  nameEn: string;
  parentCode: string | null;
  scheme: string;
  crosswalk: string[];
  children: FieldNodeDto[];
}

export const FieldNodeSchema: z.ZodType<FieldNodeDto> = z
  .object({
    code: z.string().describe('Dotted hierarchical code; ancestors are its dot-prefixes'),
    name: z.string(),
    nameEn: z.string(),
    parentCode: z.string().nullable(),
    scheme: z.string().describe('HLJ (黑龙江 4567) or NHT (国家重点支持的高新技术领域)'),
    crosswalk: z.array(z.string()).describe('Corresponding codes in the other scheme'),
    get children() {
      return z.array(FieldNodeSchema);
    },
  })
  .meta({ id: 'FieldNode' });

export const FieldTreeSchema = z.object({ items: z.array(FieldNodeSchema) }).meta({ id: 'FieldTree' });

export const RegionSchema = z
  .object({
    code: z.string().regex(/^\d{6}$/).describe('GB/T 2260 code'),
    name: z.string(),
    level: z.enum(['province', 'city']),
    provinceCode: z.string(),
  })
  .meta({ id: 'Region' });

export const RegionListSchema = z.object({ items: z.array(RegionSchema) }).meta({ id: 'RegionList' });
