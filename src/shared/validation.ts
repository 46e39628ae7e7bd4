import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import type { ValidationIssue } from './errors.js'

// ajv-formats ships CommonJS with a default export property.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const common: Options = {
  allErrors: true,
  removeAdditional: true, // unknown fields are ignored, as FastAPI/pydantic do
  useDefaults: true,
  strict: false,
}

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options })
  addFormats(ajv)
  // Ajv's multipleOf divides floats (19.99 / 0.01 is not an integer); decimal steps are checked exactly.
  ajv.removeKeyword('multipleOf')
  const multipleOf: ((step: number, data: number) => boolean) & { errors?: Partial<ErrorObject>[] } = (step, data) => {
    const valid = isDecimalMultiple(data, step)
    multipleOf.errors = valid
      ? []
      : [{ keyword: 'multipleOf', params: { multipleOf: step }, message: `must be multiple of ${step}` }]
    return valid
  }
  ajv.addKeyword({ keyword: 'multipleOf', type: 'number', schemaType: 'number', errors: true, validate: multipleOf })
  return ajv
}

function decimalPlaces(value: number): number {
  const [digits = '', exponent] = String(value).split('e-')
  const fraction = digits.split('.')[1]?.length ?? 0
  return fraction + Number(exponent ?? 0)
}

/** True when `value` is exactly a multiple of the decimal `step` (0.01: at most two decimals). */
function isDecimalMultiple(value: number, step: number): boolean {
  const factor = 10 ** decimalPlaces(step)
  const scaled = Math.round(value * factor)
  return Number.isSafeInteger(scaled) && scaled / factor === value && scaled % Math.round(step * factor) === 0
}

/**
 * Path, query and header values are strings on the wire and are coerced to the schema's types.
 * JSON bodies are typed already and are not: `"5"` is not a quantity and `true` is not 1.
 */
const coercing = createAjv({ coerceTypes: true })
const strict = createAjv({ coerceTypes: false })

export function compileBodyValidator(schema: object): ValidateFunction {
  return strict.compile(schema)
}

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  if (httpPart === 'body') return strict.compile(schema)
  const validate = coercing.compile(schema)
  const integerKeys = Object.entries((schema as { properties?: Record<string, { type?: string }> }).properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([key]) => key)
  if (integerKeys.length === 0) return validate
  // Ajv would coerce "0x1", "1e0" or " 1" to 1: an integer in a path or query is plain digits.
  return (data: unknown) => {
    const values = (data ?? {}) as Record<string, unknown>
    const malformed = integerKeys.filter((key) => typeof values[key] === 'string' && !/^[+-]?\d+$/.test(values[key]))
    if (malformed.length > 0) {
      return {
        error: malformed.map((key) => ({
          keyword: 'type',
          instancePath: `/${key}`,
          schemaPath: `#/properties/${key}/type`,
          params: { type: 'integer' },
          message: 'must be integer',
        })),
      }
    }
    return validate(data) ? { value: data } : { error: validate.errors ?? [] }
  }
}

const locationByPart: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
}

/** Ajv errors -> FastAPI's `[{loc, msg, type}]`, with pydantic's messages for the common cases. */
export function toValidationIssues(part: string, errors: readonly Partial<ErrorObject>[]): ValidationIssue[] {
  const location = locationByPart[part] ?? part
  // A value that fits no branch of a union gets one item, not one per branch.
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath))
  const relevant = errors.filter((e) => e.keyword === 'anyOf' || !unionPaths.has(e.instancePath))
  return relevant.map((error) => {
    const path = (error.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment.replace(/~1/g, '/').replace(/~0/g, '~')))
    const params = (error.params ?? {}) as Record<string, unknown>
    if (error.keyword === 'required') {
      return { loc: [location, ...path, String(params.missingProperty)], msg: 'Field required', type: 'missing' }
    }
    const { msg, type } = describe(error.keyword ?? 'invalid', params, error.message)
    return { loc: [location, ...path], msg, type }
  })
}

const typeMessages: Record<string, { msg: string; type: string }> = {
  integer: { msg: 'Input should be a valid integer', type: 'int_type' },
  number: { msg: 'Input should be a valid number', type: 'float_type' },
  string: { msg: 'Input should be a valid string', type: 'string_type' },
  boolean: { msg: 'Input should be a valid boolean', type: 'bool_type' },
  object: { msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' },
  array: { msg: 'Input should be a valid list', type: 'list_type' },
}

function describe(keyword: string, params: Record<string, unknown>, message?: string): { msg: string; type: string } {
  switch (keyword) {
    case 'type':
      return (
        typeMessages[String(params.type).split(',')[0] ?? ''] ?? {
          msg: `Input should be ${params.type}`,
          type: 'type_error',
        }
      )
    case 'minimum':
      return { msg: `Input should be greater than or equal to ${params.limit}`, type: 'greater_than_equal' }
    case 'exclusiveMinimum':
      return { msg: `Input should be greater than ${params.limit}`, type: 'greater_than' }
    case 'maximum':
      return { msg: `Input should be less than or equal to ${params.limit}`, type: 'less_than_equal' }
    case 'exclusiveMaximum':
      return { msg: `Input should be less than ${params.limit}`, type: 'less_than' }
    case 'minLength':
      return {
        msg: `String should have at least ${params.limit} character${params.limit === 1 ? '' : 's'}`,
        type: 'string_too_short',
      }
    case 'maxLength':
      return { msg: `String should have at most ${params.limit} characters`, type: 'string_too_long' }
    case 'multipleOf':
      return params.multipleOf === 0.01
        ? { msg: 'Input should have at most 2 decimal places', type: 'decimal_max_places' }
        : { msg: `Input should be a multiple of ${params.multipleOf}`, type: 'multiple_of' }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? []
      const names = allowed.map((value) => `'${String(value)}'`)
      const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '')
      return { msg: `Input should be ${list}`, type: 'enum' }
    }
    case 'pattern':
      return { msg: `String should match pattern '${params.pattern}'`, type: 'string_pattern_mismatch' }
    case 'anyOf':
      return { msg: 'Input does not match any of the allowed types', type: 'union_type' }
    case 'format':
      return { msg: `Input should be a valid ${params.format}`, type: 'format' }
    default:
      return { msg: message ?? 'Invalid input', type: keyword }
  }
}
