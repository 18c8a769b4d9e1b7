import { libraryBuild } from '../../tsup.library'

export default libraryBuild
