/**
 * Types of the Orders & Inventory API, generated from its OpenAPI document by
 * `npm run client:generate` (openapi-typescript). Do not edit: regenerate.
 */
export interface paths {
  '/': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Service information */
    get: {
      parameters: {
        query?: never
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description Links to the docs and health checks */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example /docs */
              docs: string
              /** @example /health */
              health: string
              /** @example Orders & Inventory Microservice */
              message: string
              /** @example /openapi.json */
              openapi: string
              /** @example /ready */
              ready: string
              /** @example /redoc */
              redoc: string
              /** @example 1.0.0 */
              version: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/access': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * What the caller's API key may do (for a console deciding which actions to offer)
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: never
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The key and its scope; without API_KEYS, everything is open: admin */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            /**
             * @example {
             *       "name": "console",
             *       "scope": "read"
             *     }
             */
            'application/json': {
              /**
               * @description The API key's name; null when the service runs without API_KEYS
               * @example console
               */
              name: string | null
              /**
               * @description read: every GET; orders: read, plus placing, changing and canceling orders; admin: everything
               * @enum {unknown}
               */
              scope: 'read' | 'orders' | 'admin'
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/events': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * The events, oldest first (every state change of orders, products and stock)
     * @description Each event was written in the same transaction as its change: it exists exactly when the change committed. Kept for EVENT_RETENTION_DAYS (default 30), longer while a delivery of it is pending.
     *
     *     Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Only the events after this one (the last id of the previous page); the Link header continues with it
           * @example evt_mh3k2x1a9Qm2v7LbT0cW4e
           */
          after_id?: string
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /** @description What happened */
          type?:
            | 'order.created'
            | 'order.paid'
            | 'order.shipped'
            | 'order.canceled'
            | 'product.created'
            | 'product.updated'
            | 'product.deleted'
            | 'stock.low'
            | 'stock.depleted'
            | 'stock.replenished'
        }
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of events (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @description The order or product as the API shows it (GET /orders/{id}, GET /products/{id}) after the change */
              data: {
                [key: string]: unknown
              }
              /**
               * @description An event id (`evt_...`): the `webhook-id` of its deliveries and the `Nats-Msg-Id` on the event bus
               * @example evt_mh3k2x1a9Qm2v7LbT0cW4e
               */
              id: string
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              timestamp: string
              /**
               * @description What happened
               * @enum {unknown}
               */
              type:
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/health': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Liveness (no database call) */
    get: {
      parameters: {
        query?: never
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The process is up */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example orders-inventory */
              service: string
              /** @example healthy */
              status: string
              /** @example 3600 */
              uptime_seconds: number
              /** @example 1.0.0 */
              version: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/inventory/reconciliation': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Check that every product's stock is the sum of its movements
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: never
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description What was checked, and any product whose books do not balance */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Products checked, deleted ones included
               * @example 1000
               */
              checked: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              checked_at: string
              /** @description Products whose stock is not the sum of their movements: empty, always */
              mismatches: {
                /**
                 * @description The sum of its movements
                 * @example 8
                 */
                ledger_sum: number
                /** @example 1 */
                product_id: number
                /** @example 7 */
                stock: number
              }[]
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/metrics': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Prometheus metrics */
    get: {
      parameters: {
        query?: never
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description Prometheus text exposition format */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'text/plain': string
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/orders': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * List orders by id, optionally filtered by status, product and date
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).
           * @example 0
           */
          after_id?: number
          /**
           * @description Only orders placed at or after this instant (ISO 8601 with a time zone)
           * @example 2026-11-30T00:00:00Z
           */
          created_from?: string
          /**
           * @description Only orders placed before this instant (ISO 8601 with a time zone)
           * @example 2026-12-01T00:00:00Z
           */
          created_to?: string
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /**
           * @description Rows to skip.
           * @example 0
           */
          offset?: number
          /**
           * @description Orders with any line of this product
           * @example 1
           */
          product_id?: number
          /**
           * @description Alias of offset.
           * @example 0
           */
          skip?: number
          /** @description PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED */
          status?: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
          /** @description Alias of status */
          status_filter?: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
        }
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of orders (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Why a CANCELED order was canceled: `requested` (PUT or DELETE) or `expired`; null otherwise
               * @example null
               * @enum {string|null}
               */
              cancel_reason: 'requested' | 'expired' | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * Format: date-time
               * @description When a PENDING order is canceled by the service and its stock returned (ISO 8601 UTC); null: it never expires. From then on it cannot be paid.
               * @example 2026-11-30T09:30:00.000Z
               */
              expires_at: string | null
              /** @example 1 */
              id: number
              /** @description The lines, in the order they were given */
              items: {
                /** @example 1 */
                product_id: number
                /** @example 2 */
                quantity: number
                /**
                 * @description unit_price x quantity
                 * @example 25
                 */
                total: number
                /**
                 * @description The product price when the order was placed
                 * @example 12.5
                 */
                unit_price: number
              }[]
              /**
               * @description A one-line order's product; null when the order has several lines
               * @example 1
               */
              product_id: number | null
              /**
               * @description All the units of the order
               * @example 2
               */
              quantity: number
              /**
               * @description PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED
               * @enum {unknown}
               */
              status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
              /**
               * @description The sum of the line totals
               * @example 25
               */
              total: number
              /**
               * @description A one-line order's unit price when it was placed; null when the order has several lines
               * @example 12.5
               */
              unit_price: number | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    /**
     * Place an order of one or several lines: takes every line's stock atomically, or none
     * @description Scope: `orders` or `admin` when the service runs with API_KEYS.
     *
     *     Idempotent with an `Idempotency-Key` header: a retry with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is done twice. Keys are kept 24 hours (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same in double quotes. Send it again when you retry. Scoped to your API key; kept 24 hours.
           * @example 5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60
           */
          'Idempotency-Key'?: string
        }
        path?: never
        cookie?: never
      }
      /** @description Either `product_id` and `quantity` (one line), or `items` (one or several lines), not both. */
      requestBody: {
        content: {
          'application/json': {
            /**
             * @description Hold the stock this long at most (60 s to 7 days): unpaid by then, the order is canceled and its stock returned. Default: PENDING_ORDER_TTL_SECONDS (0: no expiry).
             * @example 900
             */
            expires_in_seconds?: number
            /** @description 1 to 100 lines; a product may appear in several (its demand is summed) */
            items?: {
              /** @example 1 */
              product_id: number
              /** @example 2 */
              quantity: number
            }[]
            /** @example 1 */
            product_id?: number
            /** @example 2 */
            quantity?: number
          }
        }
      }
      responses: {
        /** @description The order, PENDING; the stock of every line was taken */
        201: {
          headers: {
            /** @description `true` when this is the stored answer to an earlier request with the same Idempotency-Key */
            'Idempotent-Replayed'?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Why a CANCELED order was canceled: `requested` (PUT or DELETE) or `expired`; null otherwise
               * @example null
               * @enum {string|null}
               */
              cancel_reason: 'requested' | 'expired' | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * Format: date-time
               * @description When a PENDING order is canceled by the service and its stock returned (ISO 8601 UTC); null: it never expires. From then on it cannot be paid.
               * @example 2026-11-30T09:30:00.000Z
               */
              expires_at: string | null
              /** @example 1 */
              id: number
              /** @description The lines, in the order they were given */
              items: {
                /** @example 1 */
                product_id: number
                /** @example 2 */
                quantity: number
                /**
                 * @description unit_price x quantity
                 * @example 25
                 */
                total: number
                /**
                 * @description The product price when the order was placed
                 * @example 12.5
                 */
                unit_price: number
              }[]
              /**
               * @description A one-line order's product; null when the order has several lines
               * @example 1
               */
              product_id: number | null
              /**
               * @description All the units of the order
               * @example 2
               */
              quantity: number
              /**
               * @description PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED
               * @enum {unknown}
               */
              status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
              /**
               * @description The sum of the line totals
               * @example 25
               */
              total: number
              /**
               * @description A one-line order's unit price when it was placed; null when the order has several lines
               * @example 12.5
               */
              unit_price: number | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description A malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes) */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Insufficient stock. Available: 50, Requested: 100 (several lines: Insufficient stock for product 7. Available: 2, Requested: 5); or a request with this Idempotency-Key is in progress (retry after Retry-After seconds) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @example Insufficient stock. Available: 50, Requested: 100
               * @example A request with this Idempotency-Key is in progress
               */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type}; or (a string) Idempotency-Key reused with a different request (another method, path or body) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
                | string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/orders/{order_id}': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Get an order
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Answer only if the order's current ETag is listed (strong comparison), else 412. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description ETags of copies the client holds: if one is current (weak comparison, W/ allowed; `*`: any), the answer is 304 Not Modified with no body and the ETag. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          order_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The order, with its ETag */
        200: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Why a CANCELED order was canceled: `requested` (PUT or DELETE) or `expired`; null otherwise
               * @example null
               * @enum {string|null}
               */
              cancel_reason: 'requested' | 'expired' | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * Format: date-time
               * @description When a PENDING order is canceled by the service and its stock returned (ISO 8601 UTC); null: it never expires. From then on it cannot be paid.
               * @example 2026-11-30T09:30:00.000Z
               */
              expires_at: string | null
              /** @example 1 */
              id: number
              /** @description The lines, in the order they were given */
              items: {
                /** @example 1 */
                product_id: number
                /** @example 2 */
                quantity: number
                /**
                 * @description unit_price x quantity
                 * @example 25
                 */
                total: number
                /**
                 * @description The product price when the order was placed
                 * @example 12.5
                 */
                unit_price: number
              }[]
              /**
               * @description A one-line order's product; null when the order has several lines
               * @example 1
               */
              product_id: number | null
              /**
               * @description All the units of the order
               * @example 2
               */
              quantity: number
              /**
               * @description PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED
               * @enum {unknown}
               */
              status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
              /**
               * @description The sum of the line totals
               * @example 25
               */
              total: number
              /**
               * @description A one-line order's unit price when it was placed; null when the order has several lines
               * @example 12.5
               */
              unit_price: number | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description Not Modified: the If-None-Match tag is current; no body, the ETag header is sent */
        304: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content?: never
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Order not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Order not found */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    /**
     * Change an order status (idempotent; canceling returns the stock)
     * @description Scope: `orders` or `admin` when the service runs with API_KEYS.
     */
    put: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Write only if the order is still as the client saw it: its current ETag must be listed (strong comparison: a W/ tag never matches; `*`: any existing order). Otherwise 412 and nothing changes. Checked atomically with the write. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description Refuse the write (412, nothing changes) if the order's current ETag is listed (weak comparison; `*`: it exists). One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          order_id: number
        }
        cookie?: never
      }
      requestBody: {
        content: {
          /**
           * @example {
           *       "status": "PAID"
           *     }
           */
          'application/json': {
            /**
             * @description PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED
             * @enum {unknown}
             */
            status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
          }
        }
      }
      responses: {
        /** @description The order with its new status, and its new ETag */
        200: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Why a CANCELED order was canceled: `requested` (PUT or DELETE) or `expired`; null otherwise
               * @example null
               * @enum {string|null}
               */
              cancel_reason: 'requested' | 'expired' | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * Format: date-time
               * @description When a PENDING order is canceled by the service and its stock returned (ISO 8601 UTC); null: it never expires. From then on it cannot be paid.
               * @example 2026-11-30T09:30:00.000Z
               */
              expires_at: string | null
              /** @example 1 */
              id: number
              /** @description The lines, in the order they were given */
              items: {
                /** @example 1 */
                product_id: number
                /** @example 2 */
                quantity: number
                /**
                 * @description unit_price x quantity
                 * @example 25
                 */
                total: number
                /**
                 * @description The product price when the order was placed
                 * @example 12.5
                 */
                unit_price: number
              }[]
              /**
               * @description A one-line order's product; null when the order has several lines
               * @example 1
               */
              product_id: number | null
              /**
               * @description All the units of the order
               * @example 2
               */
              quantity: number
              /**
               * @description PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED
               * @enum {unknown}
               */
              status: 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELED'
              /**
               * @description The sum of the line totals
               * @example 25
               */
              total: number
              /**
               * @description A one-line order's unit price when it was placed; null when the order has several lines
               * @example 12.5
               */
              unit_price: number | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description Invalid status transition from PAID to PENDING */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Invalid status transition from PAID to PENDING */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Order not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Order not found */
              detail: string
            }
          }
        }
        /** @description The order was changed concurrently, please retry */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The order was changed concurrently, please retry */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    post?: never
    /**
     * Cancel a PENDING or PAID order; delete a CANCELED one
     * @description Scope: `orders` or `admin` when the service runs with API_KEYS.
     */
    delete: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Write only if the order is still as the client saw it: its current ETag must be listed (strong comparison: a W/ tag never matches; `*`: any existing order). Otherwise 412 and nothing changes. Checked atomically with the write. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description Refuse the write (412, nothing changes) if the order's current ETag is listed (weak comparison; `*`: it exists). One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          order_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description Canceled (stock returned) or, if already canceled, deleted */
        204: {
          headers: {
            [name: string]: unknown
          }
          content?: never
        }
        /** @description Cannot cancel order with status SHIPPED */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Cannot cancel order with status SHIPPED */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Order not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Order not found */
              detail: string
            }
          }
        }
        /** @description The order was changed concurrently, please retry */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The order was changed concurrently, please retry */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/orders/summary': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Count orders by status and add up the revenue of the paid ones, over a range of dates
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Only orders placed at or after this instant (ISO 8601 with a time zone)
           * @example 2026-11-30T00:00:00Z
           */
          created_from?: string
          /**
           * @description Only orders placed before this instant (ISO 8601 with a time zone)
           * @example 2026-12-01T00:00:00Z
           */
          created_to?: string
        }
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The counts and the revenue */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            /**
             * @example {
             *       "orders": 42,
             *       "by_status": {
             *         "PENDING": 5,
             *         "PAID": 10,
             *         "SHIPPED": 25,
             *         "CANCELED": 2
             *       },
             *       "paid_revenue": 1234.5
             *     }
             */
            'application/json': {
              /** @description How many of them are in each status now */
              by_status: {
                /** @example 10 */
                CANCELED: number
                /** @example 10 */
                PAID: number
                /** @example 10 */
                PENDING: number
                /** @example 10 */
                SHIPPED: number
              }
              /**
               * @description Orders placed in the range
               * @example 42
               */
              orders: number
              /**
               * @description The sum of the totals of those PAID or SHIPPED
               * @example 1234.5
               */
              paid_revenue: number
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/products': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * List products by id, optionally searched by SKU or name, or those running low
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).
           * @example 0
           */
          after_id?: number
          /**
           * @description true: only products whose stock is below their low_stock_threshold
           * @example true
           */
          below_threshold?: boolean
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /**
           * @description Rows to skip.
           * @example 0
           */
          offset?: number
          /**
           * @description Only products whose SKU or name contains this text (any case)
           * @example mug
           */
          q?: string
          /**
           * @description Alias of offset.
           * @example 0
           */
          skip?: number
        }
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of products (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              id: number
              /** @example 10 */
              low_stock_threshold: number | null
              /** @example Coffee mug */
              name: string
              /** @example 12.5 */
              price: number
              /**
               * @description Stock keeping unit, unique among live products
               * @example MUG-001
               */
              sku: string
              /** @example 100 */
              stock: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    /**
     * Create a product
     * @description Scope: `admin` when the service runs with API_KEYS.
     *
     *     Idempotent with an `Idempotency-Key` header: a retry with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is done twice. Keys are kept 24 hours (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same in double quotes. Send it again when you retry. Scoped to your API key; kept 24 hours.
           * @example 5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60
           */
          'Idempotency-Key'?: string
        }
        path?: never
        cookie?: never
      }
      requestBody: {
        content: {
          /**
           * @example {
           *       "sku": "MUG-001",
           *       "name": "Coffee mug",
           *       "price": 12.5,
           *       "stock": 100
           *     }
           */
          'application/json': {
            /**
             * @description When a change takes the stock below this, a stock.low event is sent; null (the default): never
             * @example 10
             */
            low_stock_threshold?: number | null
            /** @example Coffee mug */
            name: string
            /**
             * @description Unit price with at most 2 decimals, stored exactly (integer cents)
             * @example 12.5
             */
            price: number
            /**
             * @description Stock keeping unit, unique among live products
             * @example MUG-001
             */
            sku: string
            /**
             * @description Units available to order
             * @default 0
             * @example 100
             */
            stock?: number
          }
        }
      }
      responses: {
        /** @description The created product */
        201: {
          headers: {
            /** @description `true` when this is the stored answer to an earlier request with the same Idempotency-Key */
            'Idempotent-Replayed'?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              id: number
              /** @example 10 */
              low_stock_threshold: number | null
              /** @example Coffee mug */
              name: string
              /** @example 12.5 */
              price: number
              /**
               * @description Stock keeping unit, unique among live products
               * @example MUG-001
               */
              sku: string
              /** @example 100 */
              stock: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description A malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes) */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product with this SKU already exists; or a request with this Idempotency-Key is in progress (retry after Retry-After seconds) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @example Product with this SKU already exists
               * @example A request with this Idempotency-Key is in progress
               */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type}; or (a string) Idempotency-Key reused with a different request (another method, path or body) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
                | string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/products/{product_id}': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Get a product
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Answer only if the product's current ETag is listed (strong comparison), else 412. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description ETags of copies the client holds: if one is current (weak comparison, W/ allowed; `*`: any), the answer is 304 Not Modified with no body and the ETag. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          product_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The product, with its ETag */
        200: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              id: number
              /** @example 10 */
              low_stock_threshold: number | null
              /** @example Coffee mug */
              name: string
              /** @example 12.5 */
              price: number
              /**
               * @description Stock keeping unit, unique among live products
               * @example MUG-001
               */
              sku: string
              /** @example 100 */
              stock: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description Not Modified: the If-None-Match tag is current; no body, the ETag header is sent */
        304: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content?: never
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    /**
     * Update a product (partial: only the fields sent change)
     * @description Scope: `admin` when the service runs with API_KEYS.
     */
    put: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Write only if the product is still as the client saw it: its current ETag must be listed (strong comparison: a W/ tag never matches; `*`: any existing product). Otherwise 412 and nothing changes. Checked atomically with the write. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description Refuse the write (412, nothing changes) if the product's current ETag is listed (weak comparison; `*`: it exists). One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          product_id: number
        }
        cookie?: never
      }
      /** @description Only the fields sent change */
      requestBody: {
        content: {
          /**
           * @example {
           *       "price": 14.99,
           *       "stock": 80
           *     }
           */
          'application/json': {
            /**
             * @description When a change takes the stock below this, a stock.low event is sent; null (the default): never
             * @example 10
             */
            low_stock_threshold?: number | null
            /** @example Coffee mug */
            name?: string
            /**
             * @description Unit price with at most 2 decimals, stored exactly (integer cents)
             * @example 12.5
             */
            price?: number
            /**
             * @description Stock keeping unit, unique among live products
             * @example MUG-001
             */
            sku?: string
            /**
             * @description Units available to order
             * @example 100
             */
            stock?: number
          }
        }
      }
      responses: {
        /** @description The updated product, with its new ETag */
        200: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              id: number
              /** @example 10 */
              low_stock_threshold: number | null
              /** @example Coffee mug */
              name: string
              /** @example 12.5 */
              price: number
              /**
               * @description Stock keeping unit, unique among live products
               * @example MUG-001
               */
              sku: string
              /** @example 100 */
              stock: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Product with this SKU already exists */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product with this SKU already exists */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    post?: never
    /**
     * Delete a product (its orders stay readable)
     * @description Scope: `admin` when the service runs with API_KEYS.
     */
    delete: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Write only if the product is still as the client saw it: its current ETag must be listed (strong comparison: a W/ tag never matches; `*`: any existing product). Otherwise 412 and nothing changes. Checked atomically with the write. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description Refuse the write (412, nothing changes) if the product's current ETag is listed (weak comparison; `*`: it exists). One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          product_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description Deleted */
        204: {
          headers: {
            [name: string]: unknown
          }
          content?: never
        }
        /** @description Cannot delete product with pending or paid orders */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Cannot delete product with pending or paid orders */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    options?: never
    head?: never
    /**
     * Update a product (partial: only the fields sent change) (same as PUT)
     * @description Scope: `admin` when the service runs with API_KEYS.
     */
    patch: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Write only if the product is still as the client saw it: its current ETag must be listed (strong comparison: a W/ tag never matches; `*`: any existing product). Otherwise 412 and nothing changes. Checked atomically with the write. One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-Match'?: string
          /**
           * @description Refuse the write (412, nothing changes) if the product's current ETag is listed (weak comparison; `*`: it exists). One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.
           * @example "kTq3rNwY0hG6JpXw2c8HvA"
           */
          'If-None-Match'?: string
        }
        path: {
          /** @example 1 */
          product_id: number
        }
        cookie?: never
      }
      /** @description Only the fields sent change */
      requestBody: {
        content: {
          /**
           * @example {
           *       "price": 14.99,
           *       "stock": 80
           *     }
           */
          'application/json': {
            /**
             * @description When a change takes the stock below this, a stock.low event is sent; null (the default): never
             * @example 10
             */
            low_stock_threshold?: number | null
            /** @example Coffee mug */
            name?: string
            /**
             * @description Unit price with at most 2 decimals, stored exactly (integer cents)
             * @example 12.5
             */
            price?: number
            /**
             * @description Stock keeping unit, unique among live products
             * @example MUG-001
             */
            sku?: string
            /**
             * @description Units available to order
             * @example 100
             */
            stock?: number
          }
        }
      }
      responses: {
        /** @description The updated product, with its new ETag */
        200: {
          headers: {
            /** @description Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed). */
            ETag?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              id: number
              /** @example 10 */
              low_stock_threshold: number | null
              /** @example Coffee mug */
              name: string
              /** @example 12.5 */
              price: number
              /**
               * @description Stock keeping unit, unique among live products
               * @example MUG-001
               */
              sku: string
              /** @example 100 */
              stock: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Product with this SKU already exists */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product with this SKU already exists */
              detail: string
            }
          }
        }
        /** @description Precondition Failed: the resource has changed */
        412: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Precondition Failed: the resource has changed */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    trace?: never
  }
  '/products/{product_id}/stock-adjustments': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Adjust a product's stock by a relative amount, with a reason (one movement in the ledger)
     * @description Scope: `admin` when the service runs with API_KEYS.
     *
     *     Idempotent with an `Idempotency-Key` header: a retry with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is done twice. Keys are kept 24 hours (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same in double quotes. Send it again when you retry. Scoped to your API key; kept 24 hours.
           * @example 5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60
           */
          'Idempotency-Key'?: string
        }
        path: {
          /** @example 1 */
          product_id: number
        }
        cookie?: never
      }
      requestBody: {
        content: {
          'application/json': {
            /**
             * @description Units to add (received, returned) or remove (damaged, shrinkage), never 0
             * @example 24
             */
            delta: number
            /**
             * @description Compare-and-set: apply only if the stock is still this (else 409 and nothing changes), e.g. after a count
             * @example 76
             */
            expected_stock?: number
            /**
             * @description Why the stock changes
             * @enum {unknown}
             */
            reason: 'received' | 'returned' | 'correction' | 'cycle_count' | 'damaged' | 'shrinkage' | 'other'
            /**
             * @description A purchase order, a count sheet, a return number
             * @example PO-2026-0042
             */
            reference?: string
          }
        }
      }
      responses: {
        /** @description The movement recorded */
        201: {
          headers: {
            /** @description `true` when this is the stored answer to an earlier request with the same Idempotency-Key */
            'Idempotent-Replayed'?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description The name of the API key that made the change; null without API keys
               * @example backoffice
               */
              actor: string | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description The change of stock: negative when units left
               * @example -2
               */
              delta: number
              /** @example 1 */
              id: number
              /**
               * @description The order behind it, if any
               * @example 12
               */
              order_id: number | null
              /** @example 1 */
              product_id: number
              /**
               * @description Made by the service: initial, order_placed, order_canceled, order_expired, product_update (a PUT/PATCH of stock). Given with an adjustment: received, returned, correction, cycle_count, damaged, shrinkage, other.
               * @enum {unknown}
               */
              reason:
                | 'initial'
                | 'order_placed'
                | 'order_canceled'
                | 'order_expired'
                | 'product_update'
                | 'received'
                | 'returned'
                | 'correction'
                | 'cycle_count'
                | 'damaged'
                | 'shrinkage'
                | 'other'
              /**
               * @description What the adjustment refers to: a purchase order, a count sheet
               * @example PO-2026-0042
               */
              reference: string | null
              /**
               * @description The stock right after this movement
               * @example 98
               */
              stock_after: number
            }
          }
        }
        /** @description A malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes) */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Insufficient stock. Available: 3, Requested: 5 (below zero), or Stock changed: expected 5, found 4 (expected_stock); or a request with this Idempotency-Key is in progress (retry after Retry-After seconds) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @example Stock changed: expected 5, found 4
               * @example A request with this Idempotency-Key is in progress
               */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type}; or (a string) Idempotency-Key reused with a different request (another method, path or body) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
                | string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/products/{product_id}/stock-movements': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * A product's stock movements, oldest first
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).
           * @example 0
           */
          after_id?: number
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /**
           * @description Rows to skip.
           * @example 0
           */
          offset?: number
          /**
           * @description Alias of offset.
           * @example 0
           */
          skip?: number
        }
        header?: never
        path: {
          /** @example 1 */
          product_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of movements (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description The name of the API key that made the change; null without API keys
               * @example backoffice
               */
              actor: string | null
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description The change of stock: negative when units left
               * @example -2
               */
              delta: number
              /** @example 1 */
              id: number
              /**
               * @description The order behind it, if any
               * @example 12
               */
              order_id: number | null
              /** @example 1 */
              product_id: number
              /**
               * @description Made by the service: initial, order_placed, order_canceled, order_expired, product_update (a PUT/PATCH of stock). Given with an adjustment: received, returned, correction, cycle_count, damaged, shrinkage, other.
               * @enum {unknown}
               */
              reason:
                | 'initial'
                | 'order_placed'
                | 'order_canceled'
                | 'order_expired'
                | 'product_update'
                | 'received'
                | 'returned'
                | 'correction'
                | 'cycle_count'
                | 'damaged'
                | 'shrinkage'
                | 'other'
              /**
               * @description What the adjustment refers to: a purchase order, a count sheet
               * @example PO-2026-0042
               */
              reference: string | null
              /**
               * @description The stock right after this movement
               * @example 98
               */
              stock_after: number
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Product not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Product not found */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/ready': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /** Readiness: the database answers and takes writes */
    get: {
      parameters: {
        query?: never
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description Ready to serve */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example ok */
              database: string
              /** @example ready */
              status: string
            }
          }
        }
        /** @description The database does not answer or its storage is full, or the service is shutting down */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database does not answer or its storage is full, or the service is shutting down */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhook-deliveries': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Every endpoint's deliveries, oldest first, optionally by status (failed ones to replay, say)
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).
           * @example 0
           */
          after_id?: number
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /**
           * @description Rows to skip.
           * @example 0
           */
          offset?: number
          /**
           * @description Alias of offset.
           * @example 0
           */
          skip?: number
          /** @description Only the deliveries in this status */
          status?: 'pending' | 'succeeded' | 'failed'
        }
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of deliveries (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Attempts made so far
               * @example 2
               */
              attempts: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              endpoint_id: number
              /**
               * @description An event id (`evt_...`): the `webhook-id` of its deliveries and the `Nats-Msg-Id` on the event bus
               * @example evt_mh3k2x1a9Qm2v7LbT0cW4e
               */
              event_id: string
              /**
               * @description The type of the event delivered
               * @enum {unknown}
               */
              event_type:
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
              /** @example 1 */
              id: number
              /**
               * @description What went wrong at the last attempt; null after a success
               * @example The endpoint answered 503
               */
              last_error: string | null
              /**
               * @description The receiver's HTTP status at the last attempt; null when none came (timeout, refused)
               * @example 503
               */
              last_status_code: number | null
              /**
               * Format: date-time
               * @description When it is next attempted (pending); null otherwise
               * @example 2026-11-30T09:15:30.000Z
               */
              next_attempt_at: string | null
              /**
               * @description pending (to be attempted, or again), succeeded (a 2xx came), failed (every try was used)
               * @enum {unknown}
               */
              status: 'pending' | 'succeeded' | 'failed'
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhook-deliveries/{delivery_id}': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Get a webhook delivery with every attempt made
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: never
        header?: never
        path: {
          /** @example 1 */
          delivery_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The delivery and its attempts */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @description Every attempt, first to last */
              attempt_log: {
                /**
                 * @description 1 for the first attempt, then 2, 3...
                 * @example 1
                 */
                attempt: number
                /**
                 * @description Until the answer came, or the attempt failed
                 * @example 84
                 */
                duration_ms: number
                /**
                 * @description Why the attempt failed; null when it succeeded
                 * @example The endpoint answered 503
                 */
                error: string | null
                /**
                 * @description The start of the response body (at most 1,024 characters)
                 * @example {"ok":false,"reason":"maintenance"}
                 */
                response_excerpt: string | null
                /**
                 * Format: date-time
                 * @description ISO 8601, UTC
                 * @example 2026-11-30T09:15:00.000Z
                 */
                started_at: string
                /**
                 * @description The receiver's HTTP status; null when none came
                 * @example 503
                 */
                status_code: number | null
              }[]
              /**
               * @description Attempts made so far
               * @example 2
               */
              attempts: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              endpoint_id: number
              /**
               * @description An event id (`evt_...`): the `webhook-id` of its deliveries and the `Nats-Msg-Id` on the event bus
               * @example evt_mh3k2x1a9Qm2v7LbT0cW4e
               */
              event_id: string
              /**
               * @description The type of the event delivered
               * @enum {unknown}
               */
              event_type:
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
              /** @example 1 */
              id: number
              /**
               * @description What went wrong at the last attempt; null after a success
               * @example The endpoint answered 503
               */
              last_error: string | null
              /**
               * @description The receiver's HTTP status at the last attempt; null when none came (timeout, refused)
               * @example 503
               */
              last_status_code: number | null
              /**
               * Format: date-time
               * @description When it is next attempted (pending); null otherwise
               * @example 2026-11-30T09:15:30.000Z
               */
              next_attempt_at: string | null
              /**
               * @description pending (to be attempted, or again), succeeded (a 2xx came), failed (every try was used)
               * @enum {unknown}
               */
              status: 'pending' | 'succeeded' | 'failed'
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook delivery not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook delivery not found */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhook-deliveries/{delivery_id}/retry': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Send a webhook delivery again now (pending, due at once), whatever its status
     * @description Scope: `admin` when the service runs with API_KEYS.
     *
     *     Idempotent with an `Idempotency-Key` header: a retry with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is done twice. Keys are kept 24 hours (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same in double quotes. Send it again when you retry. Scoped to your API key; kept 24 hours.
           * @example 5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60
           */
          'Idempotency-Key'?: string
        }
        path: {
          /** @example 1 */
          delivery_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The delivery, pending and due now; it is sent in the background */
        202: {
          headers: {
            /** @description `true` when this is the stored answer to an earlier request with the same Idempotency-Key */
            'Idempotent-Replayed'?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Attempts made so far
               * @example 2
               */
              attempts: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              endpoint_id: number
              /**
               * @description An event id (`evt_...`): the `webhook-id` of its deliveries and the `Nats-Msg-Id` on the event bus
               * @example evt_mh3k2x1a9Qm2v7LbT0cW4e
               */
              event_id: string
              /**
               * @description The type of the event delivered
               * @enum {unknown}
               */
              event_type:
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
              /** @example 1 */
              id: number
              /**
               * @description What went wrong at the last attempt; null after a success
               * @example The endpoint answered 503
               */
              last_error: string | null
              /**
               * @description The receiver's HTTP status at the last attempt; null when none came (timeout, refused)
               * @example 503
               */
              last_status_code: number | null
              /**
               * Format: date-time
               * @description When it is next attempted (pending); null otherwise
               * @example 2026-11-30T09:15:30.000Z
               */
              next_attempt_at: string | null
              /**
               * @description pending (to be attempted, or again), succeeded (a 2xx came), failed (every try was used)
               * @enum {unknown}
               */
              status: 'pending' | 'succeeded' | 'failed'
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }
          }
        }
        /** @description A malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes) */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook delivery not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook delivery not found */
              detail: string
            }
          }
        }
        /** @description Webhook endpoint is disabled (enable it first); or a request with this Idempotency-Key is in progress (retry after Retry-After seconds) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @example Webhook endpoint is disabled
               * @example A request with this Idempotency-Key is in progress
               */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type}; or (a string) Idempotency-Key reused with a different request (another method, path or body) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
                | string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhook-endpoints': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * List webhook endpoints by id (without their secrets)
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).
           * @example 0
           */
          after_id?: number
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /**
           * @description Rows to skip.
           * @example 0
           */
          offset?: number
          /**
           * @description Alias of offset.
           * @example 0
           */
          skip?: number
        }
        header?: never
        path?: never
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of endpoints (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description A note for people: who owns it, what it feeds
               * @example Warehouse system: paid orders to pick
               */
              description: string | null
              /**
               * @description Why the service disabled it; null when enabled or disabled by hand
               * @example The endpoint answered 410 Gone
               */
              disabled_reason: string | null
              /**
               * @description Whether deliveries are made to it (a 410 from the receiver disables it)
               * @example true
               */
              enabled: boolean
              /**
               * @description The event types delivered to it, each once; or ["*"] for every type (alone)
               * @example [
               *       "order.paid",
               *       "order.canceled"
               *     ]
               * @example [
               *       "*"
               *     ]
               */
              events: (
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
                | '*'
              )[]
              /** @example 1 */
              id: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
              /**
               * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
               * @example https://hooks.example.com/orders-inventory
               */
              url: string
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    /**
     * Register a webhook endpoint: events are POSTed to it, signed with its secret
     * @description Scope: `admin` when the service runs with API_KEYS.
     *
     *     Idempotent with an `Idempotency-Key` header: a retry with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is done twice. Keys are kept 24 hours (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same in double quotes. Send it again when you retry. Scoped to your API key; kept 24 hours.
           * @example 5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60
           */
          'Idempotency-Key'?: string
        }
        path?: never
        cookie?: never
      }
      requestBody: {
        content: {
          'application/json': {
            /**
             * @description A note for people: who owns it, what it feeds
             * @example Warehouse system: paid orders to pick
             */
            description?: string | null
            /**
             * @description The event types delivered to it, each once; or ["*"] for every type (alone)
             * @default [
             *       "*"
             *     ]
             * @example [
             *       "order.paid",
             *       "order.canceled"
             *     ]
             * @example [
             *       "*"
             *     ]
             */
            events?: (
              | 'order.created'
              | 'order.paid'
              | 'order.shipped'
              | 'order.canceled'
              | 'product.created'
              | 'product.updated'
              | 'product.deleted'
              | 'stock.low'
              | 'stock.depleted'
              | 'stock.replenished'
              | '*'
            )[]
            /**
             * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
             * @example https://hooks.example.com/orders-inventory
             */
            url: string
          }
        }
      }
      responses: {
        /** @description The endpoint, with its secret (shown only here and on rotation) */
        201: {
          headers: {
            /** @description `true` when this is the stored answer to an earlier request with the same Idempotency-Key */
            'Idempotent-Replayed'?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description A note for people: who owns it, what it feeds
               * @example Warehouse system: paid orders to pick
               */
              description: string | null
              /**
               * @description Why the service disabled it; null when enabled or disabled by hand
               * @example The endpoint answered 410 Gone
               */
              disabled_reason: string | null
              /**
               * @description Whether deliveries are made to it (a 410 from the receiver disables it)
               * @example true
               */
              enabled: boolean
              /**
               * @description The event types delivered to it, each once; or ["*"] for every type (alone)
               * @example [
               *       "order.paid",
               *       "order.canceled"
               *     ]
               * @example [
               *       "*"
               *     ]
               */
              events: (
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
                | '*'
              )[]
              /** @example 1 */
              id: number
              /**
               * @description The signing secret (Standard Webhooks): `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes. Shown only when the endpoint is created and when its secret is rotated.
               * @example whsec_QUcaiHMWnW5qR2SoYy9B61NHZx+IxeTF19wTTFnf+a0=
               */
              secret: string
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
              /**
               * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
               * @example https://hooks.example.com/orders-inventory
               */
              url: string
            }
          }
        }
        /** @description A malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes) */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description A request with this Idempotency-Key is in progress (retry after Retry-After seconds) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example A request with this Idempotency-Key is in progress */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} (also a URL that is not http(s), or in production one that resolves to a loopback, private or link-local address); or (a string) Idempotency-Key reused with a different request (another method, path or body) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
                | string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhook-endpoints/{endpoint_id}': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * Get a webhook endpoint (without its secret)
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: never
        header?: never
        path: {
          /** @example 1 */
          endpoint_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The endpoint */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description A note for people: who owns it, what it feeds
               * @example Warehouse system: paid orders to pick
               */
              description: string | null
              /**
               * @description Why the service disabled it; null when enabled or disabled by hand
               * @example The endpoint answered 410 Gone
               */
              disabled_reason: string | null
              /**
               * @description Whether deliveries are made to it (a 410 from the receiver disables it)
               * @example true
               */
              enabled: boolean
              /**
               * @description The event types delivered to it, each once; or ["*"] for every type (alone)
               * @example [
               *       "order.paid",
               *       "order.canceled"
               *     ]
               * @example [
               *       "*"
               *     ]
               */
              events: (
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
                | '*'
              )[]
              /** @example 1 */
              id: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
              /**
               * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
               * @example https://hooks.example.com/orders-inventory
               */
              url: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook endpoint not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook endpoint not found */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    /**
     * Delete a webhook endpoint, with its deliveries and their attempts
     * @description Scope: `admin` when the service runs with API_KEYS.
     */
    delete: {
      parameters: {
        query?: never
        header?: never
        path: {
          /** @example 1 */
          endpoint_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description Deleted */
        204: {
          headers: {
            [name: string]: unknown
          }
          content?: never
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook endpoint not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook endpoint not found */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    options?: never
    head?: never
    /**
     * Change a webhook endpoint (partial: only the fields sent change)
     * @description Scope: `admin` when the service runs with API_KEYS.
     */
    patch: {
      parameters: {
        query?: never
        header?: never
        path: {
          /** @example 1 */
          endpoint_id: number
        }
        cookie?: never
      }
      /** @description Only the fields sent change */
      requestBody: {
        content: {
          'application/json': {
            /**
             * @description A note for people: who owns it, what it feeds; null removes it
             * @example Warehouse system: paid orders to pick
             */
            description?: string | null
            /**
             * @description false stops deliveries; true resumes them (and clears disabled_reason)
             * @example true
             */
            enabled?: boolean
            /**
             * @description The event types delivered to it, each once; or ["*"] for every type (alone)
             * @example [
             *       "order.paid",
             *       "order.canceled"
             *     ]
             * @example [
             *       "*"
             *     ]
             */
            events?: (
              | 'order.created'
              | 'order.paid'
              | 'order.shipped'
              | 'order.canceled'
              | 'product.created'
              | 'product.updated'
              | 'product.deleted'
              | 'stock.low'
              | 'stock.depleted'
              | 'stock.replenished'
              | '*'
            )[]
            /**
             * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
             * @example https://hooks.example.com/orders-inventory
             */
            url?: string
          }
        }
      }
      responses: {
        /** @description The endpoint as changed */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description A note for people: who owns it, what it feeds
               * @example Warehouse system: paid orders to pick
               */
              description: string | null
              /**
               * @description Why the service disabled it; null when enabled or disabled by hand
               * @example The endpoint answered 410 Gone
               */
              disabled_reason: string | null
              /**
               * @description Whether deliveries are made to it (a 410 from the receiver disables it)
               * @example true
               */
              enabled: boolean
              /**
               * @description The event types delivered to it, each once; or ["*"] for every type (alone)
               * @example [
               *       "order.paid",
               *       "order.canceled"
               *     ]
               * @example [
               *       "*"
               *     ]
               */
              events: (
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
                | '*'
              )[]
              /** @example 1 */
              id: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
              /**
               * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
               * @example https://hooks.example.com/orders-inventory
               */
              url: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook endpoint not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook endpoint not found */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Unsupported media type: the body must be JSON */
        415: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Unsupported media type: the body must be JSON */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} (also a URL that is not http(s), or in production one that resolves to a loopback, private or link-local address) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    trace?: never
  }
  '/webhook-endpoints/{endpoint_id}/deliveries': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    /**
     * A webhook endpoint's deliveries, oldest first, optionally by status
     * @description Scope: `read` (any key) when the service runs with API_KEYS.
     */
    get: {
      parameters: {
        query?: {
          /**
           * @description Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).
           * @example 0
           */
          after_id?: number
          /**
           * @description Page size (1..1000, default 100).
           * @example 100
           */
          limit?: number
          /**
           * @description Rows to skip.
           * @example 0
           */
          offset?: number
          /**
           * @description Alias of offset.
           * @example 0
           */
          skip?: number
          /** @description Only the deliveries in this status */
          status?: 'pending' | 'succeeded' | 'failed'
        }
        header?: never
        path: {
          /** @example 1 */
          endpoint_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description A page of deliveries (bare array) */
        200: {
          headers: {
            /** @description RFC 8288 links to the next and previous pages */
            Link?: string
            /** @description Rows matching the query, all pages together */
            'X-Total-Count'?: number
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * @description Attempts made so far
               * @example 2
               */
              attempts: number
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /** @example 1 */
              endpoint_id: number
              /**
               * @description An event id (`evt_...`): the `webhook-id` of its deliveries and the `Nats-Msg-Id` on the event bus
               * @example evt_mh3k2x1a9Qm2v7LbT0cW4e
               */
              event_id: string
              /**
               * @description The type of the event delivered
               * @enum {unknown}
               */
              event_type:
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
              /** @example 1 */
              id: number
              /**
               * @description What went wrong at the last attempt; null after a success
               * @example The endpoint answered 503
               */
              last_error: string | null
              /**
               * @description The receiver's HTTP status at the last attempt; null when none came (timeout, refused)
               * @example 503
               */
              last_status_code: number | null
              /**
               * Format: date-time
               * @description When it is next attempted (pending); null otherwise
               * @example 2026-11-30T09:15:30.000Z
               */
              next_attempt_at: string | null
              /**
               * @description pending (to be attempted, or again), succeeded (a 2xx came), failed (every try was used)
               * @enum {unknown}
               */
              status: 'pending' | 'succeeded' | 'failed'
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
            }[]
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook endpoint not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook endpoint not found */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type} */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail: {
                /**
                 * @example [
                 *       "body",
                 *       "price"
                 *     ]
                 */
                loc: (string | number)[]
                /** @example Input should be greater than 0 */
                msg: string
                /** @example greater_than */
                type: string
              }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    put?: never
    post?: never
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhook-endpoints/{endpoint_id}/rotate-secret': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Rotate a webhook endpoint's secret: the previous one also signs for 24 hours
     * @description Scope: `admin` when the service runs with API_KEYS.
     *
     *     Idempotent with an `Idempotency-Key` header: a retry with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`) and nothing is done twice. Keys are kept 24 hours (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same in double quotes. Send it again when you retry. Scoped to your API key; kept 24 hours.
           * @example 5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60
           */
          'Idempotency-Key'?: string
        }
        path: {
          /** @example 1 */
          endpoint_id: number
        }
        cookie?: never
      }
      requestBody?: never
      responses: {
        /** @description The endpoint, with its new secret (shown only here) */
        200: {
          headers: {
            /** @description `true` when this is the stored answer to an earlier request with the same Idempotency-Key */
            'Idempotent-Replayed'?: string
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              created_at: string
              /**
               * @description A note for people: who owns it, what it feeds
               * @example Warehouse system: paid orders to pick
               */
              description: string | null
              /**
               * @description Why the service disabled it; null when enabled or disabled by hand
               * @example The endpoint answered 410 Gone
               */
              disabled_reason: string | null
              /**
               * @description Whether deliveries are made to it (a 410 from the receiver disables it)
               * @example true
               */
              enabled: boolean
              /**
               * @description The event types delivered to it, each once; or ["*"] for every type (alone)
               * @example [
               *       "order.paid",
               *       "order.canceled"
               *     ]
               * @example [
               *       "*"
               *     ]
               */
              events: (
                | 'order.created'
                | 'order.paid'
                | 'order.shipped'
                | 'order.canceled'
                | 'product.created'
                | 'product.updated'
                | 'product.deleted'
                | 'stock.low'
                | 'stock.depleted'
                | 'stock.replenished'
                | '*'
              )[]
              /** @example 1 */
              id: number
              /**
               * @description The signing secret (Standard Webhooks): `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes. Shown only when the endpoint is created and when its secret is rotated.
               * @example whsec_QUcaiHMWnW5qR2SoYy9B61NHZx+IxeTF19wTTFnf+a0=
               */
              secret: string
              /**
               * Format: date-time
               * @description ISO 8601, UTC
               * @example 2026-11-30T09:15:00.000Z
               */
              updated_at: string
              /**
               * @description Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).
               * @example https://hooks.example.com/orders-inventory
               */
              url: string
            }
          }
        }
        /** @description A malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes) */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes */
              detail: string
            }
          }
        }
        /** @description Missing or invalid API key (only when the service runs with API_KEYS) */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing or invalid API key (only when the service runs with API_KEYS) */
              detail: string
            }
          }
        }
        /** @description Insufficient scope: the API key may not call this operation */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Insufficient scope: the API key may not call this operation */
              detail: string
            }
          }
        }
        /** @description Webhook endpoint not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Webhook endpoint not found */
              detail: string
            }
          }
        }
        /** @description A request with this Idempotency-Key is in progress (retry after Retry-After seconds) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example A request with this Idempotency-Key is in progress */
              detail: string
            }
          }
        }
        /** @description Validation error: a FastAPI-style list of {loc, msg, type}; or (a string) Idempotency-Key reused with a different request (another method, path or body) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
                | string
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
  '/webhooks/payment': {
    parameters: {
      query?: never
      header?: never
      path?: never
      cookie?: never
    }
    get?: never
    put?: never
    /**
     * Payment provider notification (HMAC-signed, or Standard Webhooks)
     * @description Signed either with `X-Webhook-Signature` (HMAC of the body) or with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC of id, timestamp and body); the signature is checked over the raw body before anything in it is read. Event identity: `webhook-id` (Standard Webhooks), else X-Event-Id, else the body `event_id` or `id`, else a hash of the body; a delivery already processed answers `duplicate` and changes nothing, and an identity already used for another order or event type answers 409. A `currency` other than the service's CURRENCY: 422.
     */
    post: {
      parameters: {
        query?: never
        header?: {
          /**
           * @description Standard Webhooks: the event identity (the same on every retry), covered by the signature; UTF-8, at most 200 characters. Required with `webhook-signature`.
           * @example msg_2KWPBgLlAfxdpx2AI54pPJ85f4W
           */
          'webhook-id'?: string
          /**
           * @description Standard Webhooks: space-separated `v1,<base64>` signatures, any one of which must be the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{raw body}` under a secret of WEBHOOK_SECRET (a `whsec_<base64>` secret is used decoded). When present, it decides instead of X-Webhook-Signature; without a valid `webhook-id` and `webhook-timestamp` it cannot be verified (403).
           * @example v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=
           */
          'webhook-signature'?: string
          /**
           * @description Standard Webhooks: Unix seconds of this attempt, covered by the signature; more than WEBHOOK_TOLERANCE_SECONDS (default 300) from now, past or future: 403. Required with `webhook-signature`.
           * @example 1796000000
           */
          'webhook-timestamp'?: string
          /**
           * @description Delivery identity used to drop duplicates, taken whole (commas included), UTF-8, at most 200 characters. Ignored with Standard Webhooks headers (`webhook-id` is the identity then).
           * @example evt_1
           */
          'x-event-id'?: string
          /**
           * @description `sha256=<hex>` (or bare `<hex>`): HMAC-SHA256 of the raw body under a secret of WEBHOOK_SECRET. Ignored when `webhook-signature` is present.
           * @example sha256=3f1c0f9d2b5e4a7c8d6e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c
           */
          'x-webhook-signature'?: string
        }
        path?: never
        cookie?: never
      }
      requestBody: {
        content: {
          /**
           * @example {
           *       "event": "payment.succeeded",
           *       "order_id": 1,
           *       "amount": 59.98,
           *       "currency": "USD",
           *       "payment_id": "pay_1"
           *     }
           */
          'application/json': {
            /**
             * @description Must equal the order's total when given
             * @example 59.98
             */
            amount?: number
            /**
             * @description Must be CURRENCY when given
             * @example USD
             */
            currency?: string
            /**
             * @description Event type
             * @example payment.succeeded
             */
            event?: string
            event_id?: string | number
            /**
             * @description Accepted in place of event
             * @example payment.succeeded
             */
            event_type?: string
            id?: string | number
            /** @example 1 */
            order_id: number
            /** @example pay_1 */
            payment_id?: string
          }
        }
      }
      responses: {
        /** @description processed, duplicate or ignored */
        200: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example evt_1 */
              event_id: string
              /** @example PAID */
              new_status?: string
              /** @example 1 */
              order_id?: number
              /** @example Order already PAID */
              reason?: string
              /** @enum {unknown} */
              status: 'processed' | 'duplicate' | 'ignored'
            }
          }
        }
        /** @description Invalid JSON payload */
        400: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Invalid JSON payload */
              detail: string
            }
          }
        }
        /** @description Missing webhook signature */
        401: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Missing webhook signature */
              detail: string
            }
          }
        }
        /** @description Invalid webhook signature, or (Standard Webhooks) webhook timestamp outside the tolerance */
        403: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Invalid webhook signature, or (Standard Webhooks) webhook timestamp outside the tolerance */
              detail: string
            }
          }
        }
        /** @description Order not found */
        404: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Order not found */
              detail: string
            }
          }
        }
        /** @description The order is canceled, the event id was already used for a different event (another order_id or event type), or the order was changed concurrently (retry) */
        409: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The order is canceled, the event id was already used for a different event (another order_id or event type), or the order was changed concurrently (retry) */
              detail: string
            }
          }
        }
        /** @description Request body is too large */
        413: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example Request body is too large */
              detail: string
            }
          }
        }
        /** @description Invalid payload or event id header (FastAPI-style list), or amount different from the order total or currency different from CURRENCY (string) */
        422: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              detail:
                | string
                | {
                    /**
                     * @example [
                     *       "body",
                     *       "price"
                     *     ]
                     */
                    loc: (string | number)[]
                    /** @example Input should be greater than 0 */
                    msg: string
                    /** @example greater_than */
                    type: string
                  }[]
            }
          }
        }
        /** @description The database is busy or unavailable: retry */
        503: {
          headers: {
            [name: string]: unknown
          }
          content: {
            'application/json': {
              /** @example The database is busy or unavailable: retry */
              detail: string
            }
          }
        }
      }
    }
    delete?: never
    options?: never
    head?: never
    patch?: never
    trace?: never
  }
}
export type webhooks = Record<string, never>
export interface components {
  schemas: never
  responses: never
  parameters: never
  requestBodies: never
  headers: never
  pathItems: never
}
export type $defs = Record<string, never>
export type operations = Record<string, never>
