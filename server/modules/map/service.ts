import type { Kysely } from 'kysely'
import type { Config } from '../../config.ts'
import type { Database } from '../../db/types.ts'
import type { MapConfig } from '../../schemas/map.ts'
import type { TileLayer } from '../../schemas/tiles.ts'
import { tileJsons } from '../tiles/service.ts'
import * as repository from './repository.ts'

// Guyuan's five counties, when no boundaries are loaded yet.
const GUYUAN_BOUNDS: [number, number, number, number] = [105.3, 35.2, 106.97, 36.6]

// Tianditu's Web-Mercator WMTS (tile matrix set "w"), spread over its eight hosts t0–t7.
function tiandituTiles(layer: string, key: string): string[] {
  return Array.from(
    { length: 8 },
    (_, i) =>
      `https://t${i}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${key}`,
  )
}

/** Who asks: whether a user is signed in (the registry's tiles need one), and the scheme://host tile URLs start with. */
export interface MapConfigRequest {
  signedIn: boolean
  tileOrigin: string
}

/**
 * The map desk's settings: the Tianditu basemap when a key is configured, its approval number, the extent of the
 * counties, and the TileJSON of every vector source the desk draws that the asker may read.
 */
export async function mapConfig(db: Kysely<Database>, config: Config, asker: MapConfigRequest): Promise<MapConfig> {
  const bounds = (await repository.countiesExtent(db)) ?? GUYUAN_BOUNDS
  const key = config.tiandituKey
  const layers: TileLayer[] = [
    'counties',
    'townships',
    ...(key ? [] : (['roads'] as const)),
    ...(asker.signedIn ? (['registry'] as const) : []),
  ]
  return {
    tianditu: key
      ? {
          key,
          style: config.tiandituStyle,
          tiles:
            config.tiandituStyle === 'imagery'
              ? [tiandituTiles('img', key), tiandituTiles('cia', key)]
              : [tiandituTiles('vec', key), tiandituTiles('cva', key)],
          attribution: '© 天地图 Tianditu (国家地理信息公共服务平台)',
        }
      : null,
    approvalNumber: config.mapApprovalNumber ?? null,
    bounds,
    sources: await tileJsons(db, layers, asker.tileOrigin),
  }
}
